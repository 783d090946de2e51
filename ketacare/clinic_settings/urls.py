from django.urls import path

from ketacare.clinic_settings import views

app_name = "clinic_settings"

urlpatterns = [path("", views.protocol_page, name="page")]
