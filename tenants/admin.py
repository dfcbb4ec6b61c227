"""Operator admin for tenants and their members."""

from django.contrib import admin

from tenants.models import Membership, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "install_scope", "super_admin_email", "installed_at"]
    search_fields = ["name", "super_admin_email"]
    inlines = [MembershipInline]
