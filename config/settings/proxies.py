"""The client's address behind trusted reverse proxies, for the login lockout (django-axes, via django-ipware).

CEP_TRUSTED_PROXY_COUNT is the number of reverse proxies in front of the application (0: none, the application
is reached directly and REMOTE_ADDR is the client). Each proxy appends to X-Forwarded-For the address it received
the request from; the client's address is then the entry that the *first* trusted proxy appended, counted from the
right. Entries a client wrote there itself sit further left and are ignored (non-strict chain: extra entries do
not make the header fall back to REMOTE_ADDR, which would be the proxy's address, shared by every user).
"""

import os


def client_ip_settings(environ=os.environ) -> dict:
    count = int(environ.get("CEP_TRUSTED_PROXY_COUNT", "0") or "0")
    if count < 0:
        raise ValueError("CEP_TRUSTED_PROXY_COUNT est un nombre de proxys (0 ou plus).")
    if count == 0:
        return {
            "CEP_TRUSTED_PROXY_COUNT": 0,
            "AXES_IPWARE_META_PRECEDENCE_ORDER": ("REMOTE_ADDR",),  # X-Forwarded-For is never read
            "AXES_IPWARE_PROXY_COUNT": None,
            "IPWARE_STRICT": True,
        }
    return {
        "CEP_TRUSTED_PROXY_COUNT": count,
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"),
        # Entries of X-Forwarded-For after the client's: the addresses of the proxies before the last one (the
        # last one is REMOTE_ADDR).
        "AXES_IPWARE_PROXY_COUNT": count - 1,
        "IPWARE_STRICT": False,
    }
