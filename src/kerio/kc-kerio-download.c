/* kc-kerio-download.c: recording downloads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "kc-kerio-client-private.h"
#include "kc-kerio-parse.h"

/* ------------------------------------------------------------------------ */
/* Recording download */

typedef struct
{
  char                  *recording_id;
  char                  *dest_dir;
  GFileProgressCallback  progress;
  gpointer               progress_data;
  gboolean               retried;
  char                  *sent_token;
  gint64                 announced_length;

  SoupMessage           *message;
  GInputStream          *input;
  GFile                 *temp_file;
  GFile                 *final_file;
  GOutputStream         *output;
  GBytes                *chunk;
  goffset                received;
  goffset                total;
} Download;

static void
download_close_streams (Download *download)
{
  if (download->input != NULL)
    kc_kerio_discard_stream (download->input);
  g_clear_object (&download->input);
  /* A local file: closing is one close(2), and nothing else is pending on
   * the stream when we get here. */
  if (download->output != NULL)
    g_output_stream_close (download->output, NULL, NULL);
  g_clear_object (&download->output);
}

static void
download_free (Download *download)
{
  download_close_streams (download);
  g_free (download->recording_id);
  g_free (download->dest_dir);
  g_free (download->sent_token);
  g_clear_object (&download->message);
  g_clear_object (&download->temp_file);
  g_clear_object (&download->final_file);
  g_clear_pointer (&download->chunk, g_bytes_unref);
  g_free (download);
}

/* No half-written file may stay behind, whatever went wrong. */
static void
download_fail (GTask  *task,
               GError *error)
{
  Download *download = g_task_get_task_data (task);

  download_close_streams (download);
  if (download->temp_file != NULL)
    g_file_delete (download->temp_file, NULL, NULL);
  g_clear_object (&download->temp_file);
  g_task_return_error (task, error);
}

static gboolean
same_origin (GUri *a,
             GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0
         && g_uri_get_host (a) != NULL && g_uri_get_host (b) != NULL
         && g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0
         && kc_kerio_uri_effective_port (a) == kc_kerio_uri_effective_port (b);
}

static void download_start (GTask *task);
static void download_read_next (GTask *task);

static void
on_download_moved (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_file_move_finish (G_FILE (source), result, &error))
    {
      download_fail (task, error);
      return;
    }
  g_clear_object (&download->temp_file);
  g_task_return_pointer (task, g_file_get_path (download->final_file), g_free);
}

static void
on_download_output_closed (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  g_clear_object (&download->output);
  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error))
    {
      download_fail (task, error);
      return;
    }
  g_file_move_async (download->temp_file, download->final_file, G_FILE_COPY_OVERWRITE,
                     G_PRIORITY_DEFAULT, cancellable, NULL, NULL,
                     on_download_moved, g_steal_pointer (&task));
}

static void
on_download_written (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  g_clear_pointer (&download->chunk, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      download_fail (task, error);
      return;
    }
  if (download->progress != NULL)
    download->progress (download->received, MAX (download->total, download->received),
                        download->progress_data);
  download_read_next (g_steal_pointer (&task));
}

static void
on_download_read (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  KcKerioClient *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GBytes *chunk;
  gsize size;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      download_fail (task, kc_kerio_client_transport_error (self, download->message, error));
      return;
    }

  size = g_bytes_get_size (chunk);
  if (size == 0)
    {
      g_bytes_unref (chunk);
      g_input_stream_close_async (download->input, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_clear_object (&download->input);
      g_output_stream_close_async (download->output, G_PRIORITY_DEFAULT,
                                   cancellable, on_download_output_closed,
                                   g_steal_pointer (&task));
      return;
    }
  if (download->received + (goffset) size > KC_KERIO_MAX_DOWNLOAD_SIZE)
    {
      g_bytes_unref (chunk);
      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE,
                                        _("The recording is too large (over %d MiB)"),
                                        KC_KERIO_MAX_DOWNLOAD_SIZE / (1024 * 1024)));
      return;
    }

  download->received += size;
  download->chunk = chunk;
  g_output_stream_write_all_async (download->output, g_bytes_get_data (chunk, NULL), size,
                                   G_PRIORITY_DEFAULT, cancellable,
                                   on_download_written, g_steal_pointer (&task));
}

static void
download_read_next (GTask *task)
{
  Download *download = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (download->input, KC_KERIO_READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_download_read, task);
}

static void
on_download_file_created (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GFileOutputStream *output;

  output = g_file_create_finish (G_FILE (source), result, &error);
  if (output == NULL)
    {
      g_autofree char *path = g_file_get_path (download->temp_file);

      /* It was never ours: nothing to delete. */
      g_clear_object (&download->temp_file);
      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_FAILED,
                                        _("Cannot save the recording as %s: %s"), path,
                                        error->message));
      return;
    }
  download->output = G_OUTPUT_STREAM (output);
  download_read_next (g_steal_pointer (&task));
}

static void
on_download_sent (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  KcKerioClient *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *safe_name = NULL;
  g_autofree char *final_name = NULL;
  g_autofree char *temp_name = NULL;
  SoupMessageHeaders *headers;
  guint status;

  download->input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (download->input == NULL)
    {
      download_fail (task, kc_kerio_client_transport_error (self, download->message, error));
      return;
    }
  kc_kerio_client_remember_peer_certificate (self, download->message);

  status = soup_message_get_status (download->message);
  g_debug ("Download of recording %s: HTTP %u", download->recording_id, status);
  if ((status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
      && !download->retried)
    {
      /* The download URL belongs to the session; a new session asks for a
       * new one. */
      download->retried = TRUE;
      download_close_streams (download);
      if (g_strcmp0 (self->token, download->sent_token) == 0)
        kc_kerio_client_forget_session (self);
      download_start (g_steal_pointer (&task));
      return;
    }
  if (status == SOUP_STATUS_NOT_FOUND)
    {
      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_FOUND,
                                        _("The PBX has no recording %s (HTTP %u %s)"),
                                        download->recording_id, status,
                                        kc_kerio_reason_phrase (download->message)));
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      download_fail (task, kc_kerio_client_http_error (self, download->message, TRUE));
      return;
    }
  if (kc_kerio_content_length_exceeds (download->message, KC_KERIO_MAX_DOWNLOAD_SIZE))
    {
      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE,
                                        _("The recording is too large (over %d MiB)"),
                                        KC_KERIO_MAX_DOWNLOAD_SIZE / (1024 * 1024)));
      return;
    }

  headers = soup_message_get_response_headers (download->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    download->total = soup_message_headers_get_content_length (headers);
  else
    download->total = MAX (download->announced_length, 0);

  safe_name = kc_sanitize_file_name (download->recording_id);
  final_name = g_strconcat (safe_name, ".wav", NULL);
  temp_name = g_strdup_printf (".%s.%08x.part", final_name, g_random_int ());
  g_clear_object (&download->final_file);
  download->final_file = g_file_new_build_filename (download->dest_dir, final_name, NULL);
  download->temp_file = g_file_new_build_filename (download->dest_dir, temp_name, NULL);
  g_file_create_async (download->temp_file, G_FILE_CREATE_PRIVATE, G_PRIORITY_DEFAULT,
                       cancellable, on_download_file_created,
                       g_steal_pointer (&task));
}

static void
on_download_url (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  KcKerioClient *self = KC_KERIO_CLIENT (source);
  Download *download = g_task_get_task_data (task);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (KcFileDownload) file_download = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) error = NULL;

  answer = kc_kerio_client_call_finish (self, result, &error);
  if (answer != NULL)
    file_download = kc_kerio_parse_file_download (answer, &error);
  if (file_download == NULL)
    {
      download_fail (task, g_steal_pointer (&error));
      return;
    }

  uri = g_uri_parse_relative (self->endpoint, file_download->url,
                              G_URI_FLAGS_ENCODED_PATH | G_URI_FLAGS_ENCODED_QUERY
                                  | G_URI_FLAGS_ENCODED_FRAGMENT,
                              &error);
  if (uri == NULL)
    {
      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                                        _("The PBX gave an invalid download address: %s"),
                                        error->message));
      return;
    }
  if (!same_origin (uri, self->endpoint))
    {
      g_autofree char *shown = g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);

      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_FORBIDDEN,
                                        _("Refusing to download a recording from %s: it is not "
                                          "on the PBX %s"),
                                        shown, self->host_port));
      return;
    }

  if (g_mkdir_with_parents (download->dest_dir, 0700) != 0)
    {
      int saved_errno = errno;

      download_fail (task, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_FAILED,
                                        _("Cannot create the folder %s: %s"), download->dest_dir,
                                        g_strerror (saved_errno)));
      return;
    }

  download->announced_length = file_download->length;
  g_clear_object (&download->message);
  download->message = kc_kerio_client_new_message (self, SOUP_METHOD_GET, uri);
  g_free (download->sent_token);
  download->sent_token = g_strdup (self->token);
  soup_session_send_async (self->session, download->message, G_PRIORITY_DEFAULT,
                           cancellable, on_download_sent,
                           g_steal_pointer (&task));
}

static void
download_start (GTask *task)
{
  KcKerioClient *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) params = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, download->recording_id);
  json_builder_set_member_name (builder, "transcode");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);

  kc_kerio_client_call_async (self, "Recordings.downloadAudioContent", params,
                              g_task_get_cancellable (task), on_download_url, task);
}

void
kc_kerio_client_download_recording_async (KcKerioClient         *self,
                                          const char            *recording_id,
                                          const char            *dest_dir,
                                          GFileProgressCallback  progress,
                                          gpointer               progress_data,
                                          GCancellable          *cancellable,
                                          GAsyncReadyCallback    callback,
                                          gpointer               user_data)
{
  GTask *task;
  Download *download;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));
  g_return_if_fail (recording_id != NULL);
  g_return_if_fail (dest_dir != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_kerio_client_download_recording_async);
  download = g_new0 (Download, 1);
  download->recording_id = g_strdup (recording_id);
  download->dest_dir = g_strdup (dest_dir);
  download->progress = progress;
  download->progress_data = progress_data;
  download->announced_length = -1;
  g_task_set_task_data (task, download, (GDestroyNotify) download_free);

  download_start (task);
}

char *
kc_kerio_client_download_recording_finish (KcKerioClient  *self,
                                           GAsyncResult   *result,
                                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
