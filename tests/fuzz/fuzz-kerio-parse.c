/* fuzz-kerio-parse.c: any body through the JSON-RPC response parser, then
 * every result mapper over what it returns
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kerio/kc-kerio-error.h"
#include "kerio/kc-kerio-parse.h"

#include "fuzz-common.h"

static void
check_outcome (gconstpointer  value,
               GError        *error)
{
  /* Either a value or a KC_KERIO_ERROR, never both, never neither */
  kc_fuzz_assert ((value != NULL) != (error != NULL));
  if (error != NULL)
    {
      kc_fuzz_assert (error->domain == KC_KERIO_ERROR);
      kc_fuzz_assert (error->message != NULL);
      kc_fuzz_assert (g_utf8_validate (error->message, -1, NULL));
    }
}

/* Every string a mapper returns is valid UTF-8 (it ends up in GTK labels) */
static void
check_strings (const char *const *strings,
               gsize              n)
{
  for (gsize i = 0; i < n; i++)
    kc_fuzz_assert (strings[i] == NULL || g_utf8_validate (strings[i], -1, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (JsonNode) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GPtrArray) cdrs = NULL;
  g_autoptr (GPtrArray) recordings = NULL;
  g_autoptr (GError) calls_error = NULL;
  g_autoptr (GError) cdrs_error = NULL;
  g_autoptr (GError) recordings_error = NULL;
  g_autoptr (GError) download_error = NULL;
  KcFileDownload *download;
  gint64 total = -1;

  kc_fuzz_init ();

  result = kc_kerio_parse_response ((const char *) data, size, &error);
  check_outcome (result, error);
  if (result == NULL)
    return 0;

  calls = kc_kerio_parse_active_calls (result, &calls_error);
  check_outcome (calls, calls_error);
  for (guint i = 0; calls != NULL && i < calls->len; i++)
    {
      const KcActiveCall *call = g_ptr_array_index (calls, i);

      const char *strings[] = { call->id, call->from_number, call->from_name,
                                call->to_number, call->to_name, call->status };
      KcLiveStatus status = kc_active_call_get_status (call);

      check_strings (strings, G_N_ELEMENTS (strings));
      kc_fuzz_assert (call->call_duration >= -1 && call->answered_duration >= -1);
      kc_fuzz_assert ((status == KC_LIVE_STATUS_MISSING) == (call->status == NULL));
      kc_fuzz_assert (status <= KC_LIVE_STATUS_UNKNOWN);
      kc_fuzz_assert (kc_active_call_is_connected (call)
                      == (call->answered_duration > 0 || status == KC_LIVE_STATUS_CONNECTED));
    }

  cdrs = kc_kerio_parse_cdrs (result, &total, &cdrs_error);
  check_outcome (cdrs, cdrs_error);
  if (cdrs != NULL)
    kc_fuzz_assert (total >= 0);
  for (guint i = 0; cdrs != NULL && i < cdrs->len; i++)
    {
      const KcCdr *cdr = g_ptr_array_index (cdrs, i);

      const char *strings[] = { cdr->id, cdr->from_number, cdr->from_name, cdr->to_number,
                                cdr->to_name };

      check_strings (strings, G_N_ELEMENTS (strings));
      kc_fuzz_assert (cdr->timestamp >= -1 && cdr->status >= 0);
    }

  total = -1;
  recordings = kc_kerio_parse_recordings (result, &total, &recordings_error);
  check_outcome (recordings, recordings_error);
  if (recordings != NULL)
    kc_fuzz_assert (total >= 0);

  download = kc_kerio_parse_file_download (result, &download_error);
  check_outcome (download, download_error);
  if (download != NULL)
    {
      const char *strings[] = { download->url, download->name };

      kc_fuzz_assert (download->url != NULL && *download->url != '\0');
      check_strings (strings, G_N_ELEMENTS (strings));
      kc_file_download_free (download);
    }
  return 0;
}
