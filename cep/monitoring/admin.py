from django.contrib import admin

from .models import CooperationTheme, NationalMilestone


@admin.register(CooperationTheme)
class CooperationThemeAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "valid_from", "valid_to"]


@admin.register(NationalMilestone)
class NationalMilestoneAdmin(admin.ModelAdmin):
    list_display = ["exercise_year", "due_on", "due_label", "label"]
    list_filter = ["exercise_year"]
