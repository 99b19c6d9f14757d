/* kc-export.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-export"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kc-export.h"
#include "kc-store-context.h"
#include "kc-store-private.h"

#define BYTE_ORDER_MARK "\xEF\xBB\xBF"
/* Written out in pieces of about this size */
#define BUFFER_BYTES (256 * 1024)
/* Rows between two looks at the cancellable and the progress */
#define ROWS_PER_STEP 1024

struct _KcExport
{
  GObject          parent_instance;

  char            *db_path;
  KcHistoryFilter  filter;
  gboolean         has_filter;
  gint             n_written; /* atomic */
};

G_DEFINE_FINAL_TYPE (KcExport, kc_export, G_TYPE_OBJECT)

/* --- One row */

static void
append_digits (GString *out,
               gint64   value,
               guint    width)
{
  char digits[24];
  guint n = 0;

  do
    {
      digits[n++] = (char) ('0' + value % 10);
      value /= 10;
    }
  while (value > 0 && n < sizeof digits);
  while (n < width)
    digits[n++] = '0';
  while (n > 0)
    g_string_append_c (out, digits[--n]);
}

/* "2026-12-07 14:05:00" (offset 18000, local) or "2026-12-07T09:05:00Z"
 * (utc): the calendar from the days since 1970, which the history's four
 * times a row need a million times over, without a GDateTime each */
static void
append_time (GString *out,
             gint64   unix_seconds,
             gint64   offset,
             gboolean utc)
{
  gint64 t = unix_seconds + offset;
  gint64 days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  gint64 seconds = t - days * 86400;
  gint64 era, year;
  guint day_of_era, year_of_era, day_of_year, mp, day, month;

  /* H. Hinnant's civil_from_days: 0000-03-01 starts an era of 400 years */
  days += 719468;
  era = (days >= 0 ? days : days - 146096) / 146097;
  day_of_era = (guint) (days - era * 146097);
  year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  mp = (5 * day_of_year + 2) / 153;
  day = day_of_year - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = year_of_era + era * 400 + (month <= 2);

  append_digits (out, MAX (year, 0), 4);
  g_string_append_c (out, '-');
  append_digits (out, month, 2);
  g_string_append_c (out, '-');
  append_digits (out, day, 2);
  g_string_append_c (out, utc ? 'T' : ' ');
  append_digits (out, seconds / 3600, 2);
  g_string_append_c (out, ':');
  append_digits (out, seconds / 60 % 60, 2);
  g_string_append_c (out, ':');
  append_digits (out, seconds % 60, 2);
  if (utc)
    g_string_append_c (out, 'Z');
}

static gint64
offset_at (GTimeZone *tz,
           gint64     unix_seconds)
{
  int interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, unix_seconds);

  return interval < 0 ? 0 : g_time_zone_get_offset (tz, interval);
}

/* A "+" and digits: a spreadsheet reads it as a number, never a formula */
static gboolean
is_phone_number (const char *text)
{
  const char *p = text[0] == '+' ? text + 1 : text;

  if (*p == '\0')
    return FALSE;
  for (; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* RFC 4180, and no formula a spreadsheet would run */
static void
append_field (GString    *out,
              const char *text,
              gboolean    number)
{
  gboolean quote;

  if (text == NULL || *text == '\0')
    return;
  quote = strpbrk (text, ",\"\r\n") != NULL;
  if (quote)
    g_string_append_c (out, '"');
  if (strchr ("=+-@\t\r", text[0]) != NULL && !(number && is_phone_number (text)))
    g_string_append_c (out, '\'');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  if (quote)
    g_string_append_c (out, '"');
}

void
kc_export_append_row (GString        *out,
                      const KcRecord *record,
                      const char     *name,
                      GTimeZone      *tz)
{
  char id[40];

  g_return_if_fail (out != NULL && record != NULL && tz != NULL);

  /* The `call` view's id: UUID-shaped, from the row id */
  g_snprintf (id, sizeof id, "00000000-0000-4000-8000-%012" G_GINT64_MODIFIER "x",
              record->id ? g_ascii_strtoll (record->id, NULL, 16) : 0);
  g_string_append (out, id);
  g_string_append_c (out, ',');
  append_field (out, record->call_id, FALSE);
  g_string_append_c (out, ',');
  append_field (out, kc_record_direction_text (record), FALSE);
  g_string_append_c (out, ',');
  append_field (out, record->from_number, TRUE);
  g_string_append_c (out, ',');
  append_field (out, record->to_number, TRUE);
  g_string_append_c (out, ',');
  append_field (out, name, FALSE);
  g_string_append_c (out, ',');
  append_field (out, record->extension, TRUE);
  g_string_append_c (out, ',');
  append_time (out, record->start_time, offset_at (tz, record->start_time), FALSE);
  g_string_append_c (out, ',');
  append_time (out, record->start_time, 0, TRUE);
  g_string_append_c (out, ',');
  append_time (out, record->end_time, offset_at (tz, record->end_time), FALSE);
  g_string_append_c (out, ',');
  append_time (out, record->end_time, 0, TRUE);
  g_string_append_c (out, ',');
  append_digits (out, MAX (record->duration, 0), 1);
  g_string_append_c (out, ',');
  append_digits (out, MAX (record->answered, 0), 1);
  g_string_append_c (out, ',');
  append_field (out, kc_record_status_text (record), FALSE);
  g_string_append_c (out, ',');
  append_field (out, record->recording_path, FALSE);
  g_string_append (out, "\r\n");
}

/* --- The file */

static gboolean
set_write_error (GError     **error,
                 int          saved_errno,
                 const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Could not write %s: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
flush (GString     *buffer,
       FILE        *out,
       const char  *path,
       GError     **error)
{
  if (buffer->len > 0 && fwrite (buffer->str, 1, buffer->len, out) != buffer->len)
    return set_write_error (error, errno, path);
  g_string_truncate (buffer, 0);
  return TRUE;
}

/* The other party's name as the history shows it, each number asked once */
static const char *
cached_name (KcStore    *store,
             GHashTable *names,
             const char *number)
{
  gpointer found;
  KcCallerNames all;
  char *name = NULL;

  if (number == NULL)
    return NULL;
  if (g_hash_table_lookup_extended (names, number, NULL, &found))
    return found;
  if (kc_store_get_caller_names (store, number, &all, NULL))
    {
      name = g_strdup (kc_caller_names_best (&all));
      kc_caller_names_clear (&all);
    }
  g_hash_table_insert (names, g_strdup (number), name);
  return name;
}

static gboolean
write_rows (KcExport      *self,
            FILE          *out,
            const char    *path,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr (KcStore) store = kc_store_open (self->db_path, error);
  g_autoptr (KcStoreStmt) stmt = NULL;
  g_autoptr (GString) buffer = g_string_sized_new (BUFFER_BYTES + 4096);
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GTimeZone) tz = g_time_zone_new_local ();
  guint64 n = 0;
  gboolean row;

  if (store == NULL)
    return FALSE;
  stmt = kc_store_prepare_history (store, self->has_filter ? &self->filter : NULL, error);
  if (stmt == NULL)
    return FALSE;

  g_string_append (buffer, BYTE_ORDER_MARK KC_EXPORT_HEADER);
  while (TRUE)
    {
      g_autoptr (KcRecord) record = NULL;
      const char *party;

      if (n % ROWS_PER_STEP == 0)
        {
          g_atomic_int_set (&self->n_written, (gint) MIN (n, G_MAXINT));
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
        }
      if (!kc_store_step (store, stmt, &row, error))
        return FALSE;
      if (!row)
        break;
      record = kc_store_record_from_stmt (stmt);
      party = record->direction == KC_DIRECTION_INCOMING ? record->from_number
                                                         : record->to_number;
      kc_export_append_row (buffer, record, cached_name (store, names, party), tz);
      n++;
      if (buffer->len >= BUFFER_BYTES && !flush (buffer, out, path, error))
        return FALSE;
    }
  if (!flush (buffer, out, path, error))
    return FALSE;
  if (fflush (out) != 0)
    return set_write_error (error, errno, path);
  g_atomic_int_set (&self->n_written, (gint) MIN (n, G_MAXINT));
  return TRUE;
}

gboolean
kc_export_run (KcExport      *self,
               const char    *path,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *temporary = NULL;
  FILE *out;
  gboolean ok;
  int fd;

  g_return_val_if_fail (KC_IS_EXPORT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (strcmp (path, "-") == 0)
    return write_rows (self, stdout, _("standard output"), cancellable, error);

  /* Beside the file, so that the rename is atomic; inside Flatpak the
   * document portal lets an application do exactly this in the folder of
   * the file the user chose */
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  temporary = g_strdup_printf ("%s%c.%s.XXXXXX", dir, G_DIR_SEPARATOR, base);
  fd = g_mkstemp_full (temporary, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    return set_write_error (error, errno, path);
  out = fdopen (fd, "wb");
  if (out == NULL)
    {
      int saved_errno = errno;

      close (fd);
      g_unlink (temporary);
      return set_write_error (error, saved_errno, path);
    }

  ok = write_rows (self, out, path, cancellable, error);
  if (fclose (out) != 0 && ok)
    ok = set_write_error (error, errno, path);
  if (ok && g_cancellable_set_error_if_cancelled (cancellable, error))
    ok = FALSE;
  if (ok && g_rename (temporary, path) != 0)
    ok = set_write_error (error, errno, path);
  if (!ok)
    g_unlink (temporary);
  return ok;
}

static void
run_in_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (kc_export_run (source_object, task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
kc_export_run_async (KcExport            *self,
                     const char          *path,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KC_IS_EXPORT (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_export_run_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  /* Its own connection to the history: the main loop goes on, syncs too */
  g_task_run_in_thread (task, run_in_thread);
}

gboolean
kc_export_run_finish (KcExport      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint64
kc_export_get_n_written (KcExport *self)
{
  g_return_val_if_fail (KC_IS_EXPORT (self), 0);
  return (guint64) g_atomic_int_get (&self->n_written);
}

static void
kc_export_finalize (GObject *object)
{
  KcExport *self = KC_EXPORT (object);

  g_free (self->db_path);
  g_free (self->filter.number);

  G_OBJECT_CLASS (kc_export_parent_class)->finalize (object);
}

static void
kc_export_class_init (KcExportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kc_export_finalize;
}

static void
kc_export_init (KcExport *self)
{
}

KcExport *
kc_export_new (const char            *db_path,
               const KcHistoryFilter *filter)
{
  KcExport *self;

  g_return_val_if_fail (db_path != NULL, NULL);

  self = g_object_new (KC_TYPE_EXPORT, NULL);
  self->db_path = g_strdup (db_path);
  if (filter != NULL)
    {
      self->filter = *filter;
      self->filter.number = g_strdup (filter->number);
      self->has_filter = TRUE;
    }
  return self;
}
