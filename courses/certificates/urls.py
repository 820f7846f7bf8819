from django.urls import path, re_path

from courses.certificates import views

app_name = "certificates"

# The verification URLs come first: "verify" is never a serial.
urlpatterns = [
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<str:code>/", views.verify, name="verify"),
    re_path(r"^(?P<serial>[A-Za-z0-9\-]{1,32})/$", views.certificate_detail, name="detail"),
    re_path(r"^(?P<serial>[A-Za-z0-9\-]{1,32})/pdf/$", views.certificate_pdf_download,
            name="pdf"),
]
