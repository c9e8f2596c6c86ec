from django.contrib import admin

from .models import Commune, Department, Operator, Region, Structure


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ["name", "network", "operator", "department", "region"]
    list_filter = ["network", "region"]
    search_fields = ["name"]
    filter_horizontal = ["served_departments"]  # the directory's territory served (issue 11)


admin.site.register(Operator, list_display=["name", "network", "region"], list_filter=["network"])
admin.site.register(Region, list_display=["code", "name"])
admin.site.register(Department, list_display=["code", "name", "region"], list_filter=["region"])
admin.site.register(
    Commune, list_display=["code", "name", "postal_code", "department"], search_fields=["name", "code"]
)
