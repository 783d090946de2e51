from django.urls import path

from ketacare.billing.views import accounts, charges, fees, home, portal

app_name = "billing"

urlpatterns = [
    path("", home.home, name="home"),
    path("close/", home.close, name="close"),
    path("authorisations/", home.authorisation_list, name="authorisations"),
    path("charges/<int:charge_id>/", charges.charge_detail, name="charge"),
    path("charges/<int:charge_id>/review/", charges.charge_review, name="charge_review"),
    path("charges/<int:charge_id>/recompute/", charges.charge_recompute,
         name="charge_recompute"),
    path("charges/<int:charge_id>/void/", charges.charge_void, name="charge_void"),
    path("patients/<int:patient_id>/", accounts.account, name="account"),
    path("patients/<int:patient_id>/payments/", accounts.payment_create, name="payment_create"),
    path("patients/<int:patient_id>/packages/", accounts.package_sell, name="package_sell"),
    path("patients/<int:patient_id>/charges/", accounts.charge_create, name="charge_create"),
    path("patients/<int:patient_id>/adjustments/", accounts.adjustment_create,
         name="adjustment_create"),
    path("patients/<int:patient_id>/payer/", accounts.medicare_set, name="medicare_set"),
    path("patients/<int:patient_id>/sliding-scale/", accounts.assessment_create,
         name="assessment_create"),
    path("patients/<int:patient_id>/authorisations/", accounts.authorisation_create,
         name="authorisation_create"),
    path("patients/<int:patient_id>/superbill.pdf", accounts.document, {"kind": "superbill"},
         name="superbill"),
    path("patients/<int:patient_id>/statement.pdf", accounts.document, {"kind": "statement"},
         name="statement"),
    path("payments/<int:payment_id>/refund/", accounts.refund_create, name="refund_create"),
    path("authorisations/<int:authorisation_id>/decision/", accounts.authorisation_decide,
         name="authorisation_decide"),
    path("fees/", fees.fees, name="fees"),
    path("fees/save/", fees.fee_save, name="fee_save"),
    path("fees/packages/", fees.package_save, name="package_save"),
    path("fees/bands/", fees.bands_save, name="bands_save"),
    path("fees/details/", fees.profile_save, name="profile_save"),
    path("my/superbill.pdf", portal.my_document, {"kind": "superbill"}, name="my_superbill"),
    path("my/statement.pdf", portal.my_document, {"kind": "statement"}, name="my_statement"),
    path("my/pay/", portal.my_pay, name="my_pay"),
    path("my/paid/", portal.my_paid, name="my_paid"),
    path("pay/fake/<str:checkout_id>/", portal.fake_checkout, name="fake_checkout"),
]
