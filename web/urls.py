from django.http import HttpResponse
from django.urls import path

app_name = "web"


def home(request):  # placeholder until the portal lands
    return HttpResponse("CEP")


urlpatterns = [path("", home, name="home")]
