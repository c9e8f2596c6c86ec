"""Territories (INSEE COG) and the organisations that deliver the CEP."""

from django.db import models


class Region(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name = "région"

    def __str__(self):
        return self.name


class Department(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=120)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")

    class Meta:
        ordering = ["code"]
        verbose_name = "département"

    def __str__(self):
        return f"{self.code} – {self.name}"


class Commune(models.Model):
    code = models.CharField("code INSEE", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=120)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="communes")
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    population = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["postal_code"])]

    def __str__(self):
        return f"{self.name} ({self.postal_code or self.department_id})"


class Operator(models.Model):
    """An operator of a network (e.g. « Association régionale des Missions locales de Corse »)."""

    name = models.CharField("nom", max_length=200)
    network = models.ForeignKey("referentials.Network", on_delete=models.PROTECT, related_name="operators")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "opérateur"

    def __str__(self):
        return self.name


class Structure(models.Model):
    """One site of an operator, in one département (hence one région)."""

    name = models.CharField("nom", max_length=200)
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="structures")
    network = models.ForeignKey("referentials.Network", on_delete=models.PROTECT, related_name="structures")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="structures")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="structures")
    distinguishes_phases = models.BooleanField(
        "distingue les phases 2 et 3",
        default=True,
        help_text="La structure peut choisir de ne pas distinguer les phases 2 et 3 du dispositif.",
    )
    # Annuaire des structures (issue 11, orientation): whom to orient a person to. The territory served is a list
    # of départements (its own département when empty); the measured answer delay comes from the orientations.
    served_departments = models.ManyToManyField(
        Department, blank=True, related_name="serving_structures", verbose_name="départements desservis"
    )
    public = models.CharField("public accueilli", max_length=255, blank=True)
    contact_email = models.EmailField("courriel de contact", blank=True)
    contact_phone = models.CharField("téléphone de contact", max_length=20, blank=True)
    address = models.CharField("adresse", max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
