from django.urls import path

from ketacare.longterm import views

app_name = "longterm"

urlpatterns = [
    path("patients/<int:patient_id>/", views.patient_page, name="patient"),
    path("patients/<int:patient_id>/urinary/", views.urinary_check, name="urinary"),
    path("patients/<int:patient_id>/cognition/", views.cognitive_screen, name="cognition"),
    path("patients/<int:patient_id>/liver/", views.liver_result, name="liver"),
    path(
        "patients/<int:patient_id>/signals/<int:signal_id>/review/",
        views.signal_review,
        name="review",
    ),
    path("patients/<int:patient_id>/addendum/", views.addendum, name="addendum"),
    path("patients/<int:patient_id>/continuation/", views.continuation_review, name="continuation"),
    path("patients/<int:patient_id>/limit/", views.dispensing_limit, name="limit"),
]
