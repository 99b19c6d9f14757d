/* kc-record.h: one row of the call history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "kc-types.h"

G_BEGIN_DECLS

typedef struct
{
  char         *id;             /* the row's key, opaque; ids compare (strcmp)
                                 * in history order; NULL until stored */
  char         *call_id;        /* PBX id (CDR ID, or derived key) */
  KcDirection   direction;
  char         *from_number;
  char         *to_number;
  char         *extension;      /* the operator's end of the call */
  gint64        start_time;     /* Unix seconds UTC */
  gint64        end_time;       /* Unix seconds UTC */
  gint64        duration;       /* seconds, the call's whole length */
  gint64        answered;       /* seconds talked (Kerio ANSWERED_DURATION) */
  KcCallStatus  status;
  int           kerio_status;   /* raw CDR STATUS, 0 when unknown */
  gboolean      voicemail;      /* CDR STATUS 6 */
  char         *recording_id;   /* PBX recording id, NULL when none */
  char         *recording_path; /* local file once downloaded, else NULL */
  gboolean      from_cdr;       /* FALSE: written from a live call, awaiting its CDR */
  gint64        created_at;     /* Unix seconds */
  gint64        updated_at;
} KcRecord;

KcRecord *kc_record_new  (void);
void      kc_record_free (KcRecord *record);

/* The words the history shows for a call's direction and outcome (the
 * history page, the CSV export), in the user's language */
const char *kc_record_direction_text (const KcRecord *record);
const char *kc_record_status_text    (const KcRecord *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcRecord, kc_record_free)

G_END_DECLS
