"""Errors a student can cause; each message is shown to them as is."""


class CourseError(Exception):
    pass


class CourseNotAvailable(CourseError):
    pass


class AlreadyEnrolled(CourseError):
    pass


class NotEnrolled(CourseError):
    pass


class InvitationInvalid(CourseError):
    pass
