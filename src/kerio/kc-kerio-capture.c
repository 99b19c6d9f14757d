/* kc-kerio-capture.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc-kerio-capture.h"
#include "kc-kerio-scrub.h"

struct _KcKerioCapture
{
  GObject          parent_instance;

  char            *path;
  int              fd; /* -1 once a write failed */
  KcKerioScrubber *scrubber;
};

G_DEFINE_FINAL_TYPE (KcKerioCapture, kc_kerio_capture, G_TYPE_OBJECT)

static void
kc_kerio_capture_finalize (GObject *object)
{
  KcKerioCapture *self = KC_KERIO_CAPTURE (object);

  if (self->fd >= 0)
    close (self->fd);
  g_free (self->path);
  kc_kerio_scrubber_free (self->scrubber);

  G_OBJECT_CLASS (kc_kerio_capture_parent_class)->finalize (object);
}

static void
kc_kerio_capture_class_init (KcKerioCaptureClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kc_kerio_capture_finalize;
}

static void
kc_kerio_capture_init (KcKerioCapture *self)
{
  self->fd = -1;
}

static gboolean
set_errno_error (GError    **error,
                 int         saved_errno,
                 const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("The capture file %s cannot be written: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

/* Customers' calls go into this file: it must be ours and private, and a
 * link planted where it is expected must not send them elsewhere. */
static gboolean
open_capture_file (KcKerioCapture  *self,
                   GError         **error)
{
  struct stat st;
  int flags;

  /* O_NONBLOCK: a FIFO put there must not hang the start; it is refused
   * below like anything else that is not a regular file. */
  self->fd = open (self->path,
                   O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                   0600);
  if (self->fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ELOOP)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS,
                       _("The capture file %s is a symbolic link; give the path of the file "
                         "itself"),
                       self->path);
          return FALSE;
        }
      return set_errno_error (error, saved_errno, self->path);
    }

  if (fstat (self->fd, &st) != 0)
    return set_errno_error (error, errno, self->path);
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   _("The capture file %s is not a regular file"), self->path);
      return FALSE;
    }
  if (st.st_uid != geteuid ())
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("The capture file %s belongs to another user"), self->path);
      return FALSE;
    }
  if ((st.st_mode & 077) != 0 && fchmod (self->fd, 0600) != 0)
    return set_errno_error (error, errno, self->path);

  flags = fcntl (self->fd, F_GETFL);
  if (flags < 0 || fcntl (self->fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
    return set_errno_error (error, errno, self->path);
  return TRUE;
}

KcKerioCapture *
kc_kerio_capture_new (const char  *path,
                      gboolean     anonymize,
                      GError     **error)
{
  g_autoptr (KcKerioCapture) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (KC_TYPE_KERIO_CAPTURE, NULL);
  self->path = g_strdup (path);
  self->scrubber = kc_kerio_scrubber_new (anonymize);
  if (!open_capture_file (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
kc_kerio_capture_get_path (KcKerioCapture *self)
{
  g_return_val_if_fail (KC_IS_KERIO_CAPTURE (self), NULL);

  return self->path;
}

gboolean
kc_kerio_capture_get_anonymize (KcKerioCapture *self)
{
  g_return_val_if_fail (KC_IS_KERIO_CAPTURE (self), FALSE);

  return kc_kerio_scrubber_get_anonymize (self->scrubber);
}

gboolean
kc_kerio_capture_is_active (KcKerioCapture *self)
{
  g_return_val_if_fail (KC_IS_KERIO_CAPTURE (self), FALSE);

  return self->fd >= 0;
}

/* "2026-12-07T19:30:58.123Z" */
static char *
format_time (gint64 usec)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autofree char *seconds = NULL;

  if (time == NULL)
    return g_strdup ("");
  seconds = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", seconds, (int) (usec % G_USEC_PER_SEC / 1000));
}

/* The params as they went, but through the scrubber: our own JSON, so it
 * parses again */
static JsonNode *
scrub_params (KcKerioCapture *self,
              JsonNode       *params)
{
  g_autofree char *text = NULL;
  g_autofree char *scrubbed = NULL;

  if (params == NULL)
    return NULL;
  text = json_to_string (params, FALSE);
  scrubbed = kc_kerio_scrubber_scrub_body (self->scrubber, text, strlen (text));
  return json_from_string (scrubbed, NULL);
}

static char *
format_line (KcKerioCapture        *self,
             const KcKerioExchange *exchange)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *time = format_time (exchange->time);
  JsonNode *params = scrub_params (self, exchange->params);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "time");
  json_builder_add_string_value (builder, time);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, exchange->method);
  json_builder_set_member_name (builder, "params");
  if (params != NULL)
    json_builder_add_value (builder, params);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, exchange->status);
  if (exchange->error != NULL)
    {
      g_autofree char *error = kc_kerio_scrubber_scrub_text (self->scrubber, exchange->error);

      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, error);
    }
  json_builder_set_member_name (builder, "elapsedMs");
  json_builder_add_int_value (builder, exchange->elapsed_ms);
  json_builder_set_member_name (builder, "response");
  if (exchange->body != NULL)
    {
      g_autofree char *body = kc_kerio_scrubber_scrub_body (self->scrubber, exchange->body,
                                                            exchange->length);

      json_builder_add_string_value (builder, body);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "setCookie");
  json_builder_begin_array (builder);
  for (const char *const *c = exchange->set_cookies; c != NULL && *c != NULL; c++)
    {
      g_autofree char *cookie = kc_kerio_scrub_set_cookie (*c);

      json_builder_add_string_value (builder, cookie);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

void
kc_kerio_capture_record (KcKerioCapture        *self,
                         const KcKerioExchange *exchange)
{
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  gsize length;
  gsize written = 0;

  g_return_if_fail (KC_IS_KERIO_CAPTURE (self));
  g_return_if_fail (exchange != NULL && exchange->method != NULL);

  if (self->fd < 0)
    return;

  text = format_line (self, exchange);
  line = g_strconcat (text, "\n", NULL);
  length = strlen (line);
  /* One write per line when it can: with O_APPEND, another writer's lines
   * do not cut into it. */
  while (written < length)
    {
      gssize n = write (self->fd, line + written, length - written);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved_errno = n < 0 ? errno : ENOSPC;

          g_warning ("The capture to %s stopped: %s", self->path, g_strerror (saved_errno));
          close (self->fd);
          self->fd = -1;
          return;
        }
      written += (gsize) n;
    }
}
