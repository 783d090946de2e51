"""The FHIR server's addresses under /fhir/r4/ (the names clients expect, ``$`` included)."""

from django.urls import path, re_path

from ketacare.fhir import export_views, prefill_views, views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("$export", export_views.export_system, name="export"),
    path("Patient/$export", export_views.export_patients, name="export_patients"),
    path("Group/<str:group_id>/$export", export_views.export_group, name="export_group"),
    path("$export-status/<uuid:job_id>", export_views.export_status, name="export_status"),
    path("$export-file/<uuid:job_id>/<str:name>", export_views.export_file, name="export_file"),
    path("$prefill", prefill_views.prefill_submit, name="prefill"),
    path("prefill/", prefill_views.prefill_list, name="prefill_list"),
    path("prefill/<uuid:draft_id>/", prefill_views.prefill_review, name="prefill_review"),
    path("<str:resource_type>", views.search, name="search"),
    path("<str:resource_type>/<str:resource_id>", views.read, name="read"),
    re_path(r"^.*$", views.not_supported, name="not_supported"),
]
