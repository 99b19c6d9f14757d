/* kc-kerio-types.h: plain records as the Kerio Operator API delivers them
 *
 * These mirror the API's rows, tolerant of what is missing: a string field
 * that the PBX left out is NULL, a number it left out is -1. They know nothing
 * of directions, states or the database; core/ turns them into those.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One row of Status.getCalls (member names in any case: "ID" or "id"...) */
typedef struct
{
  char   *id;                /* "ID", NULL when the PBX sends none */
  char   *from_number;       /* "FROM"."NUMBER" */
  char   *from_name;         /* "FROM"."NAME" */
  char   *to_number;         /* "TO"."NUMBER" */
  char   *to_name;           /* "TO"."NAME" */
  char   *status;            /* "STATUS" as text ("1", "Answered", ...), or NULL */
  gint64  answered_duration; /* seconds, -1 when missing */
  gint64  call_duration;     /* seconds since the call began, -1 when missing */
} KcActiveCall;

/* What a live row's STATUS says (kc_active_call_get_status()) */
typedef enum
{
  KC_LIVE_STATUS_MISSING,   /* no STATUS, or one that is not a string or a number */
  KC_LIVE_STATUS_RINGING,   /* "0", "Ringing", "Ring" */
  KC_LIVE_STATUS_CONNECTED, /* "1", "Up", "Answered", "Connected", "Talking" */
  KC_LIVE_STATUS_UNKNOWN,   /* anything else, "4" too: worth reporting */
} KcLiveStatus;

/* One row of CallHistory.get (a CDR; member names in any case) */
typedef struct
{
  char   *id;                /* "ID", NULL when the PBX sends none */
  gint64  timestamp;         /* call start, Unix seconds UTC; -1 when missing */
  char   *from_number;       /* "FROM_NUM" */
  char   *from_name;         /* "FROM_NAME" when present */
  char   *to_number;         /* "TO_NUM" */
  char   *to_name;           /* "TO_NAME" when present */
  int     status;            /* "STATUS": 1 failed, 2 busy, 3 no answer, 4 answered,
                                5 forbidden, 6 voicemail; 0 when missing */
  gint64  call_duration;     /* seconds, -1 when missing */
  gint64  answered_duration; /* seconds, -1 when missing */
} KcCdr;

/* One row of Recordings.get (member names in any case) */
typedef struct
{
  char   *id;        /* "ID" */
  char   *name;      /* "NAME" */
  char   *extension; /* "EXTENSION" */
  char   *caller_id; /* "CALLER_ID" */
  gint64  duration;  /* "DURATION" seconds, -1 when missing */
  gint64  started;   /* "STARTED" Unix seconds, -1 when missing */
} KcRecording;

/* One number of Server.getInternalDirectoryList, the PBX's own numbers
 * (extensions, queues, ring groups...; member names in any case) */
typedef struct
{
  char *number; /* "TEL_NUM" */
  char *name;   /* "DESCRIPTION", white space trimmed; NULL when empty */
} KcDirectoryEntry;

/* Answer of Recordings.downloadAudioContent (member names in any case) */
typedef struct
{
  char   *url;    /* server-relative (or absolute) URL to GET */
  char   *name;   /* file name the PBX suggests; untrusted */
  gint64  length; /* bytes, -1 when missing */
} KcFileDownload;

void     kc_active_call_free    (KcActiveCall *call);
/* STATUS read as a number (1, "1") or a word in any case, white space
 * around it ignored */
KcLiveStatus kc_active_call_get_status (const KcActiveCall *call);
/* ANSWERED_DURATION > 0, or a STATUS that says connected */
gboolean kc_active_call_is_connected (const KcActiveCall *call);
void     kc_cdr_free            (KcCdr *cdr);
KcCdr   *kc_cdr_copy            (const KcCdr *cdr);
void     kc_recording_free      (KcRecording *recording);
void     kc_file_download_free  (KcFileDownload *download);
void     kc_directory_entry_free (KcDirectoryEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcActiveCall, kc_active_call_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcCdr, kc_cdr_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcRecording, kc_recording_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcFileDownload, kc_file_download_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcDirectoryEntry, kc_directory_entry_free)

G_END_DECLS
