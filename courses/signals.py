"""The one announcement courses makes to the apps above it: a student completed a course,
after the transaction that completed it committed. Sent once per completion (a course's
`CourseProgress.completed_at` is set once and kept), never inside the writer's
transaction; a receiver (credentials) queues its own work and returns."""

from django.dispatch import Signal

# sender=CourseProgress, student_id=<int>, course_id=<int> (the canonical course page),
# completed_at=<datetime>
course_completed = Signal()
