from django.urls import path

from quizzes import views

app_name = "quizzes"

urlpatterns = [
    path("", views.quiz_index, name="index"),
    path("<int:pk>/", views.quiz_detail, name="detail"),
    path("<int:pk>/start/", views.quiz_start, name="start"),
    path("attempts/<int:pk>/", views.attempt_take, name="take"),
    path("attempts/<int:pk>/autosave/", views.attempt_autosave, name="autosave"),
    path("attempts/<int:pk>/submit/", views.attempt_summary, name="summary"),
    path("attempts/<int:pk>/result/", views.attempt_result, name="result"),
    path("wrong-answers/", views.wrong_answer_book, name="wrong_answers"),
    path("progress/", views.progress, name="progress"),
    path("papers/", views.papers, name="papers"),
    path("marking/", views.marking_list, name="marking_list"),
    path("marking/<int:pk>/", views.marking_detail, name="marking_detail"),
]
