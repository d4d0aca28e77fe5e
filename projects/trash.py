"""Recoverable deletes: a deleted kəhriz, visit, observation or photo goes to the trash with
everything that hangs on it, and a data manager restores it from there.

Deleting writes the records as they are (Django's JSON serialization, parents first: a kəhriz,
its status history and works; a visit, its observations; an observation, its people met,
follow-ups and photos) into one ``TrashEntry``, keeps the photo files (``TrashFile``), then
deletes the rows for real. So a deleted record is gone from every page, map layer, export,
count and API answer with no filter to forget, and its status history is not lost but travels
with it. Restoring saves the same records again, with their numbers, as a version of each
("restored from the trash"), after checking that nothing has taken their place (a code given to
another kəhriz since) and that what they point to still exists (an observation's visit).
Purging (superusers, or ``purge_trash`` for entries older than ``TRASH_KEEP_DAYS``) removes the
entry and the files no photo names.

Each step is one transaction: a delete, a restore or a purge happens whole or not at all.
"""

import json

from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from projects import history, services
from projects.models import (
    Kehriz,
    MonitoringVisit,
    Observation,
    Photo,
    TrashEntry,
    TrashFile,
)

KINDS = {
    Kehriz: TrashEntry.Kind.KEHRIZ,
    MonitoringVisit: TrashEntry.Kind.VISIT,
    Observation: TrashEntry.Kind.OBSERVATION,
    Photo: TrashEntry.Kind.PHOTO,
}


class RestoreRefused(Exception):
    """A trash entry that cannot be restored as it is; the message says why, for people."""


def _observation_records(observations):
    records = []
    for observation in observations:
        records.append(observation)
        records.extend(observation.people_met.order_by("pk"))
        records.extend(observation.follow_ups.order_by("pk"))
        records.extend(observation.photos.order_by("pk"))
    return records


def records_of(obj):
    """``obj`` and what a delete would take with it, parents before children."""
    if isinstance(obj, Kehriz):
        # A kəhriz that has been observed cannot be deleted (its observations belong to visits,
        # Observation.kehriz is PROTECT): delete the observations first.
        return [obj, *obj.status_events.order_by("pk"), *obj.works.order_by("pk")]
    if isinstance(obj, MonitoringVisit):
        return [obj, *_observation_records(obj.observations.order_by("pk"))]
    if isinstance(obj, Observation):
        return _observation_records([obj])
    if isinstance(obj, Photo):
        return [obj]
    raise TypeError(f"{type(obj).__name__} does not go to the trash")


def summary_of(records):
    """'3 observations, 2 photos, 4 status changes' — what went with the record."""
    counts = {}
    for record in records[1:]:
        counts.setdefault(type(record), 0)
        counts[type(record)] += 1
    parts = []
    for model, count in counts.items():
        meta = model._meta
        parts.append(f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}")
    return ", ".join(parts)


def _kehriz_ids(records):
    return {r.pk for r in records if isinstance(r, Kehriz)} | {
        r.kehriz_id for r in records if isinstance(r, Observation)
    }


def move_to_trash(obj, user=None):
    """Delete ``obj`` (and what hangs on it) into a new trash entry; returns the entry."""
    with transaction.atomic():
        records = records_of(obj)
        entry = TrashEntry.objects.create(
            kind=KINDS[type(obj)],
            object_id=obj.pk,
            label=str(obj)[:300],
            summary=summary_of(records)[:500],
            payload=json.loads(serializers.serialize("json", records)),
            deleted_by=user if user is not None and user.is_authenticated else None,
            door=history.current_door()[:300],
        )
        TrashFile.objects.bulk_create(
            TrashFile(entry=entry, name=r.image.name) for r in records if isinstance(r, Photo) and r.image
        )
        touched = _kehriz_ids(records)
        obj.delete()
        if not isinstance(obj, Kehriz):
            services.refresh_current_state(touched)
    return entry


def _problems(objects):
    """Why the deserialized ``objects`` cannot be saved again, in people's words."""
    problems = []
    here = {(type(d.object), d.object.pk) for d in objects}
    for deserialized in objects:
        record = deserialized.object
        model = type(record)
        if model._base_manager.filter(pk=record.pk).exists():
            problems.append(
                _("%(model)s “%(record)s” is no longer in the trash: it exists again.")
                % {"model": model._meta.verbose_name, "record": record}
            )
            continue
        for field in model._meta.concrete_fields:
            if not field.is_relation or not field.many_to_one:
                continue
            target_id = getattr(record, field.attname)
            target = field.related_model
            if target_id is None or (target, target_id) in here:
                continue
            if not target._base_manager.filter(pk=target_id).exists():
                gone = TrashEntry.objects.filter(kind=KINDS.get(target, ""), object_id=target_id).first()
                problems.append(
                    _("Its %(field)s is not there: restore “%(other)s” from the trash first.")
                    % {"field": field.verbose_name, "other": gone.label}
                    if gone
                    else _("Its %(field)s no longer exists.") % {"field": field.verbose_name}
                )
        try:
            record.validate_unique()
        except ValidationError as error:
            problems.extend(str(m) for messages in error.message_dict.values() for m in messages)
    return problems


def restore(entry, user=None):
    """Save the entry's records again and remove the entry. Raises ``RestoreRefused`` (nothing
    written) when a record exists again, something it points to is gone, or a unique value (a
    kəhriz's code) has been given to another record since."""
    reason = _("Restored from the trash")
    with transaction.atomic():
        entry = TrashEntry.objects.select_for_update().get(pk=entry.pk)
        objects = list(serializers.deserialize("json", json.dumps(entry.payload)))
        problems = _problems(objects)
        if problems:
            raise RestoreRefused(" ".join(dict.fromkeys(problems)))
        for deserialized in objects:
            record = deserialized.object
            record._change_reason = reason
            if user is not None:
                record._history_user = user
            record.save(force_insert=True)
            for name, values in (deserialized.m2m_data or {}).items():
                getattr(record, name).set(values)
        services.refresh_current_state(_kehriz_ids([d.object for d in objects]))
        entry.delete()  # its kept files are named by the restored photos again
    return [d.object for d in objects]


def purge(entries):
    """Remove trash entries for good, with the photo files that no photo names any more."""
    with transaction.atomic():
        entries = list(entries)
        names = set(TrashFile.objects.filter(entry__in=entries).values_list("name", flat=True))
        count = len(entries)
        TrashEntry.objects.filter(pk__in=[e.pk for e in entries]).delete()
        from projects.photos import delete_file_on_commit

        storage = Photo._meta.get_field("image").storage
        for name in names:
            delete_file_on_commit(storage, name)
    return count


def purged_message(count):
    return ngettext(
        "%(count)d deleted record was purged for good.",
        "%(count)d deleted records were purged for good.",
        count,
    ) % {"count": count}
