from catalogue import probe, views
from django.urls import path

urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("products/<slug:slug>/", views.product_detail, name="product_detail"),
    path("api/products/<slug:slug>/", views.product_api, name="product_api"),
    path("async/", views.async_product_list, name="async_product_list"),
    path("_probe/", probe.probe, name="probe"),
]
