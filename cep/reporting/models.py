"""The models of the reporting app, for Django's registry: they live in its two rooms.

- exports.models: the monthly national file (batches, files, lines);
- indicators.models: the monthly aggregate tables of the indicators and the refresh state.

App label, tables and migrations are those of `cep.reporting` (cep/reporting/migrations).
"""

from .exports.models import *  # noqa: F401,F403
from .indicators.models import *  # noqa: F401,F403
