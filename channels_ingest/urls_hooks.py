from django.urls import path

from channels_ingest import hooks

app_name = "hooks"

urlpatterns = [
    path("wechat/<slug:slug>/", hooks.wechat_hook, name="wechat"),
    path("wecom/<slug:slug>/", hooks.wecom_hook, name="wecom"),
    path("shop/<slug:slug>/", hooks.shop_hook, name="shop"),
]
