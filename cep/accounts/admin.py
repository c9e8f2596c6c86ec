from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("CEP", {"fields": ("role", "structure", "region", "extra_rights")}),)
    list_display = ["username", "first_name", "last_name", "role", "structure"]
    list_filter = ["role"]


admin.site.register(ApiToken, list_display=["user", "name", "prefix", "created_at", "revoked_at"])
