/* kc-export.h: the call history as a CSV file, for spreadsheets
 *
 * UTF-8 with a byte order mark (so that Excel takes it as UTF-8), CRLF line
 * ends, RFC 4180 quoting (a field with a comma, a quote or a line break is
 * quoted, its quotes doubled). A header row of the design's field names,
 * in English whatever the user's language, so that formulas and scripts
 * keep working; then one row per call, newest first:
 *
 *   id, callId, direction, fromNumber, toNumber, name, extension,
 *   startTimeLocal, startTime, endTimeLocal, endTime, duration,
 *   answeredDuration, status, recordingPath
 *
 * id, callId, fromNumber, toNumber, extension, startTime, endTime, duration
 * and recordingPath are as the design's `call` view gives them (times as
 * ISO 8601 UTC, "2026-12-07T09:05:00Z"); *Local are the same times in the
 * user's time zone as "2026-12-07 14:05:00", which spreadsheets read as a
 * date and time; durations in seconds; direction and status in the words
 * the application shows, in the user's language; name the other party's as
 * the history shows it. A field a spreadsheet would take for a formula
 * (one starting with =, +, -, @, a tab or a carriage return) gets a leading
 * apostrophe, except a phone number (a "+" and digits), which a spreadsheet
 * can only read as a number.
 *
 * The file is written to a temporary file beside it and renamed at the end:
 * an export that fails or is cancelled leaves no file, nor half of one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kc-store.h"

G_BEGIN_DECLS

#define KC_EXPORT_HEADER                                                                     \
  "id,callId,direction,fromNumber,toNumber,name,extension,startTimeLocal,startTime,"         \
  "endTimeLocal,endTime,duration,answeredDuration,status,recordingPath\r\n"

#define KC_TYPE_EXPORT (kc_export_get_type ())
G_DECLARE_FINAL_TYPE (KcExport, kc_export, KC, EXPORT, GObject)

/* The rows of the history in the file at db_path under FILTER (copied;
 * NULL: every row) */
KcExport *kc_export_new           (const char            *db_path,
                                   const KcHistoryFilter *filter);

/* Writes the file at PATH ("-": standard output, written as it goes), on a
 * thread of its own, with a connection of its own to the history. */
void      kc_export_run_async     (KcExport            *self,
                                   const char          *path,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
gboolean  kc_export_run_finish    (KcExport      *self,
                                   GAsyncResult  *result,
                                   GError       **error);
/* The same on this thread (the command line) */
gboolean  kc_export_run           (KcExport      *self,
                                   const char    *path,
                                   GCancellable  *cancellable,
                                   GError       **error);

/* Rows written so far; may be read from any thread while it runs */
guint64   kc_export_get_n_written (KcExport *self);

/* One row of the file for RECORD, its other party named NAME (may be
 * NULL), times in TZ; appended to OUT with its CRLF */
void      kc_export_append_row    (GString        *out,
                                   const KcRecord *record,
                                   const char     *name,
                                   GTimeZone      *tz);

G_END_DECLS
