from django.contrib import admin

from .models import ALL_REFERENTIALS

for model in ALL_REFERENTIALS:
    admin.site.register(
        model,
        list_display=["code", "label", "position", "valid_from", "valid_to"],
        search_fields=["code", "label"],
        list_filter=["valid_to"],
    )
