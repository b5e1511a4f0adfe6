/*
 * Per-partition in-order offset tracker (see include/dateline/offsets.h).
 *
 * Each partition keeps a singly linked FIFO of entries in consume order.
 * Entries are heap nodes with stable addresses because delivery reports
 * reference them through the producer's msg_opaque. Partitions are kept in a
 * small array searched linearly: a consumer owns tens of partitions, not
 * thousands, and the last one used is cached for runs of one partition.
 */
#include <stdlib.h>
#include <string.h>

#include "dateline/offsets.h"

typedef struct ot_part ot_part;

struct dl_offsets_entry {
    dl_offsets_entry *next; /* partition queue, or orphan list */
    dl_offsets_entry *prev; /* orphan list only: orphans go in any order */
    ot_part *part;          /* NULL: orphaned (partition revoked while in flight) */
    int64_t offset;
    int holds;
    void *opaque;
};

struct ot_part {
    char *topic;
    int32_t partition;
    dl_offsets_entry *head, *tail;
    size_t len;
    int64_t next; /* offset to store, valid when dirty */
    int dirty;
};

struct dl_offsets {
    ot_part **parts;
    size_t n_parts, cap_parts;
    ot_part *last;
    dl_offsets_entry *orphans;
    size_t tracked;
    void (*free_opaque)(void *opaque);
};

dl_offsets *dl_offsets_new(void (*free_opaque)(void *opaque))
{
    dl_offsets *ot = calloc(1, sizeof(*ot));

    if (!ot)
        return NULL;
    ot->free_opaque = free_opaque;
    return ot;
}

static void entry_free_opaque(dl_offsets *ot, dl_offsets_entry *ent)
{
    if (ent->opaque && ot->free_opaque)
        ot->free_opaque(ent->opaque);
    ent->opaque = NULL;
}

static void entry_free(dl_offsets *ot, dl_offsets_entry *ent)
{
    if (!ent->part) {
        if (ent->prev)
            ent->prev->next = ent->next;
        else
            ot->orphans = ent->next;
        if (ent->next)
            ent->next->prev = ent->prev;
    }
    entry_free_opaque(ot, ent);
    free(ent);
    ot->tracked--;
}

static ot_part *part_find(const dl_offsets *ot, const char *topic, int32_t partition, size_t *idx)
{
    if (ot->last && ot->last->partition == partition && !strcmp(ot->last->topic, topic) && !idx)
        return ot->last;
    for (size_t i = 0; i < ot->n_parts; i++) {
        ot_part *part = ot->parts[i];

        if (part->partition == partition && !strcmp(part->topic, topic)) {
            if (idx)
                *idx = i;
            return part;
        }
    }
    return NULL;
}

static ot_part *part_get(dl_offsets *ot, const char *topic, int32_t partition)
{
    ot_part *part = part_find(ot, topic, partition, NULL);

    if (part)
        return ot->last = part;
    if (ot->n_parts == ot->cap_parts) {
        size_t cap = ot->cap_parts ? ot->cap_parts * 2 : 16;
        ot_part **parts = realloc(ot->parts, cap * sizeof(*parts));

        if (!parts)
            return NULL;
        ot->parts = parts;
        ot->cap_parts = cap;
    }
    if (!(part = calloc(1, sizeof(*part))))
        return NULL;
    if (!(part->topic = strdup(topic))) {
        free(part);
        return NULL;
    }
    part->partition = partition;
    ot->parts[ot->n_parts++] = part;
    return ot->last = part;
}

dl_offsets_entry *dl_offsets_add(dl_offsets *ot, const char *topic, int32_t partition,
                                 int64_t offset, void *opaque)
{
    ot_part *part;
    dl_offsets_entry *ent;

    if (!(part = part_get(ot, topic, partition)))
        return NULL;
    if (!(ent = calloc(1, sizeof(*ent))))
        return NULL;
    ent->part = part;
    ent->offset = offset;
    ent->holds = 1;
    ent->opaque = opaque;
    if (part->tail)
        part->tail->next = ent;
    else
        part->head = ent;
    part->tail = ent;
    part->len++;
    ot->tracked++;
    return ent;
}

void dl_offsets_hold(dl_offsets_entry *ent)
{
    ent->holds++;
}

int dl_offsets_release(dl_offsets *ot, dl_offsets_entry *ent)
{
    if (ent->holds <= 0)
        return 0; /* already done: a double release is our bug, keep it harmless */
    if (--ent->holds > 0)
        return 0;
    /* Done. The opaque (the consumed message) is no longer needed even if
     * an earlier entry still blocks the watermark. */
    if (ent->part)
        entry_free_opaque(ot, ent);
    else
        entry_free(ot, ent);
    return 1;
}

void *dl_offsets_entry_opaque(const dl_offsets_entry *ent)
{
    return ent->opaque;
}

int dl_offsets_entry_orphaned(const dl_offsets_entry *ent)
{
    return ent->part == NULL;
}

size_t dl_offsets_advance(dl_offsets *ot,
                          void (*fn)(const char *topic, int32_t partition, int64_t next, void *arg),
                          void *arg)
{
    size_t reported = 0;

    for (size_t i = 0; i < ot->n_parts; i++) {
        ot_part *part = ot->parts[i];
        dl_offsets_entry *ent;

        while ((ent = part->head) && ent->holds == 0) {
            part->next = ent->offset + 1;
            part->dirty = 1;
            part->head = ent->next;
            if (!part->head)
                part->tail = NULL;
            part->len--;
            entry_free(ot, ent);
        }
        if (part->dirty) {
            part->dirty = 0;
            if (fn)
                fn(part->topic, part->partition, part->next, arg);
            reported++;
        }
    }
    return reported;
}

static void part_drop(dl_offsets *ot, ot_part *part)
{
    dl_offsets_entry *ent, *next;

    for (ent = part->head; ent; ent = next) {
        next = ent->next;
        ent->next = NULL;
        if (ent->holds == 0) {
            entry_free(ot, ent);
        } else {
            /* Still counted in `tracked` until its last delivery report. */
            ent->part = NULL;
            ent->prev = NULL;
            ent->next = ot->orphans;
            if (ot->orphans)
                ot->orphans->prev = ent;
            ot->orphans = ent;
        }
    }
    if (ot->last == part)
        ot->last = NULL;
    free(part->topic);
    free(part);
}

void dl_offsets_revoke(dl_offsets *ot, const char *topic, int32_t partition)
{
    size_t idx;
    ot_part *part = part_find(ot, topic, partition, &idx);

    if (!part)
        return;
    ot->parts[idx] = ot->parts[--ot->n_parts];
    part_drop(ot, part);
}

void dl_offsets_revoke_all(dl_offsets *ot)
{
    while (ot->n_parts > 0)
        part_drop(ot, ot->parts[--ot->n_parts]);
}

size_t dl_offsets_tracked(const dl_offsets *ot)
{
    return ot->tracked;
}

size_t dl_offsets_partition_len(const dl_offsets *ot, const char *topic, int32_t partition)
{
    const ot_part *part = part_find(ot, topic, partition, NULL);

    return part ? part->len : 0;
}

void dl_offsets_free(dl_offsets *ot)
{
    if (!ot)
        return;
    dl_offsets_revoke_all(ot);
    /* What is left are orphans whose delivery reports never came. */
    while (ot->orphans)
        entry_free(ot, ot->orphans);
    free(ot->parts);
    free(ot);
}
