from django.db import models


class Poll(models.Model):
    question = models.CharField(max_length=200)
    votes = models.IntegerField(default=0)

    class Meta:
        app_label = "cachetests"
