"""factory_boy factories for departments, units, offices, learners and users."""

import factory
from django.contrib.auth import get_user_model

from departments.models import Department, Learner, Office, OfficeKind, Position, Unit

PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password(PASSWORD)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"部门{n}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"预算单位{n}")
    department = factory.SubFactory(DepartmentFactory)


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    name = factory.Sequence(lambda n: f"科室{n}")
    unit = factory.SubFactory(UnitFactory)
    kind = OfficeKind.BUSINESS


class LearnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Learner

    staff_number = factory.Sequence(lambda n: f"{100000 + n}")
    user = factory.SubFactory(UserFactory, username=factory.SelfAttribute("..staff_number"))
    office = factory.SubFactory(OfficeFactory)
    position = Position.BUSINESS
