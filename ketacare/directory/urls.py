from django.urls import path

from ketacare.directory import staff_views, views

app_name = "directory"

urlpatterns = [
    path("", views.find, name="find"),
    path("manage/listing/", staff_views.manage, name="manage"),
    path("manage/verify/", staff_views.verify, name="verify"),
    path("manage/verify/<int:listing_id>/", staff_views.verify_record, name="verify_record"),
    path("manage/requests/", staff_views.leads, name="leads"),
    path("manage/requests/<int:lead_id>/", staff_views.lead_mark, name="lead_mark"),
    path("<slug:slug>/", views.profile, name="profile"),
]
