app_name = "manager"
urlpatterns: list = []
