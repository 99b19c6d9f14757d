/* kc-store.h: the call history in SQLite
 *
 * One file, WAL mode, 0600, schema version in PRAGMA user_version with
 * migrations. Every value bound, never formatted into SQL. Writes of a batch
 * happen in one transaction with prepared statements.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kc-record.h"

G_BEGIN_DECLS

#define KC_STORE_ERROR (kc_store_error_quark ())

typedef enum
{
  KC_STORE_ERROR_FAILED,
  KC_STORE_ERROR_CORRUPT, /* not our database, or damaged */
  KC_STORE_ERROR_FULL,    /* disk full */
  KC_STORE_ERROR_BUSY,    /* locked by another process for too long */
} KcStoreError;

/* A CDR is matched to a row written from a live call when the numbers agree
 * and the starts are this close (seconds). */
#define KC_STORE_LIVE_MATCH_SLACK 3

#define KC_TYPE_STORE (kc_store_get_type ())
G_DECLARE_FINAL_TYPE (KcStore, kc_store, KC, STORE, GObject)

GQuark    kc_store_error_quark        (void);

/* The default file: $XDG_DATA_HOME/kerio-cti/calls.db (transfer full) */
char     *kc_store_default_path       (void);

/* Opens (creating the folder 0700 and the file 0600) and migrates. */
KcStore  *kc_store_open               (const char  *path,
                                       GError     **error);
const char *kc_store_get_path         (KcStore *self);

/* Inserts or updates records from CDRs, keyed by call_id, in one transaction.
 * A record whose call_id is new but that matches a row written from a live
 * call (same numbers, start within KC_STORE_LIVE_MATCH_SLACK) replaces that
 * row instead of adding one. Rows that change get a new updated_at.
 * *n_new: rows added. Emits "changed" once when anything changed. */
gboolean  kc_store_upsert_records     (KcStore     *self,
                                       GPtrArray   *records,
                                       guint       *n_new,
                                       GError     **error);

/* Writes a finished live call (from_cdr = FALSE) unless its call_id or a CDR
 * row matching it already exists. */
gboolean  kc_store_add_live_record    (KcStore     *self,
                                       KcRecord    *record,
                                       GError     **error);

/* A live row the PBX has since overruled (its CDR said a call that seemed
 * missed was answered): the row written for call_id from the live call is
 * rewritten as `record`, or removed when record is NULL (the call was
 * another extension's). Rows from CDRs are never touched, and nothing
 * happens when there is no such live row. */
gboolean  kc_store_correct_live_record (KcStore         *self,
                                        const char      *call_id,
                                        const KcRecord  *record,
                                        GError         **error);

/* Links recordings (KcRecording from kerio/) to rows: a row whose numbers
 * match EXTENSION and CALLER_ID (either way round) and whose span
 * [start_time, end_time] contains STARTED (with a few seconds' slack).
 * *n_linked: rows that gained a recording_id. */
gboolean  kc_store_link_recordings    (KcStore     *self,
                                       GPtrArray   *recordings,
                                       guint       *n_linked,
                                       GError     **error);

gboolean  kc_store_set_recording_path (KcStore     *self,
                                       const char  *call_id,
                                       const char  *path,
                                       GError     **error);

/* The row with that call_id, or NULL (no error) when there is none. */
KcRecord *kc_store_lookup             (KcStore     *self,
                                       const char  *call_id,
                                       GError     **error);

/* Newest start_time among rows from CDRs, -1 when there are none. */
gint64    kc_store_get_latest_cdr_time (KcStore *self);

/* How far the history from CDRs is known to be complete: the newest CDR
 * start of the last sync that stored every page it read, -1 before the first.
 * A sync stores page by page and moves this mark (never back) only at its
 * end, so a sync cut short (crash, stop, lost connection) leaves the mark
 * where it was and the next sync reads that range again; the upsert by
 * call_id makes the second reading add nothing twice. */
gint64    kc_store_get_complete_until (KcStore *self);
gboolean  kc_store_set_complete_until (KcStore  *self,
                                       gint64    unix_seconds,
                                       GError  **error);
gint64    kc_store_count              (KcStore *self);
/* Gives back the page cache a big sync filled (up to 16 MB); the next
 * queries read what they need again. */
void      kc_store_release_memory     (KcStore *self);

/* Newest first; at most `limit` rows older than (before_time, before_id) in
 * (start_time DESC, id DESC) order — keyset paging, before_id NULL for the
 * first page. number: substring of from/to, or NULL. -> GPtrArray of KcRecord */
GPtrArray *kc_store_query             (KcStore     *self,
                                       gint64       before_time,
                                       const char  *before_id,
                                       const char  *number,
                                       guint        limit,
                                       GError     **error);

/* Which rows of the history a list shows */
typedef struct
{
  char   *number;    /* substring of from/to, NULL or "" = any */
  int     direction; /* -1 any, else KcDirection */
  int     status;    /* -1 any, else KcCallStatus */
  gint64  since;     /* Unix seconds inclusive, -1 = open */
  gint64  until;     /* Unix seconds exclusive, -1 = open */
} KcHistoryFilter;

/* The history queries below order rows newest first, by the key
 * (start_time DESC, id DESC); filter NULL means every row. Direction, status
 * and the date range use indexes; a number of three characters or more uses
 * a trigram index, a shorter one is a scan. KcRecord.id strings compare
 * (strcmp) in the order of the key. */

/* *count: rows under FILTER newer than the row keyed (key_time, key_id), or
 * all rows under FILTER when key_id is NULL. */
gboolean   kc_store_count_history     (KcStore               *self,
                                       const KcHistoryFilter *filter,
                                       gint64                 key_time,
                                       const char            *key_id,
                                       gint64                *count,
                                       GError               **error);

/* At most LIMIT rows under FILTER, newest first. They are taken walking away
 * from the key after skipping OFFSET rows: toward older rows, or with NEWER
 * toward newer ones (so they end just above the key). key_id NULL starts from
 * the newest row, or with NEWER from the oldest. -> GPtrArray of KcRecord */
GPtrArray *kc_store_query_history     (KcStore               *self,
                                       const KcHistoryFilter *filter,
                                       gint64                 key_time,
                                       const char            *key_id,
                                       gboolean               newer,
                                       gint64                 offset,
                                       guint                  limit,
                                       GError               **error);

/* All the rows under FILTER, newest first, in *records when there are at
 * most MAX of them; else *records is NULL. Reads the history once: for a
 * filter no index narrows (a number) and few rows found, that replaces a
 * read of the history per page. */
gboolean   kc_store_query_history_all (KcStore               *self,
                                       const KcHistoryFilter *filter,
                                       guint                  max,
                                       GPtrArray            **records,
                                       GError               **error);

/* *position: how many rows under FILTER are newer than the row with CALL_ID,
 * or -1 when there is no such row under FILTER. */
gboolean   kc_store_find_history      (KcStore               *self,
                                       const KcHistoryFilter *filter,
                                       const char            *call_id,
                                       gint64                *position,
                                       GError               **error);

/* Rows added, and rows changed in place, through this object since it was
 * opened. A reader that finds n_edited unchanged after a "changed" knows
 * that the change only added rows. */
void       kc_store_get_change_counts (KcStore *self,
                                       guint64 *n_added,
                                       guint64 *n_edited);

G_END_DECLS
