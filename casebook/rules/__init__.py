"""Rules engine of the casebook: goal tables, the R01–R22 checker, self-evaluation scoring,
monitoring lights, ex-ante assessment and find-the-errors exercises. Pure Python, no models.

Public entry points:
    GoalTable.from_dict / TableError            (table.py)
    CheckerConfig, default_config, load_config  (config.py)
    check_goal_table, to_json                   (checker.py)
    score_self_evaluation, check_learner_scores (selfeval.py)
    traffic_light, deviation_response           (monitoring.py)
    exante_assess, check_aspect_mapping         (exante.py)
    mutate_table, grade_error_marks             (mutations.py)
"""
