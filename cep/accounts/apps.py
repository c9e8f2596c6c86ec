from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.accounts"
    label = "accounts"
