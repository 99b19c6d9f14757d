/* fuzz-cdr.c: CallHistory.get, Recordings.get and
 * Recordings.downloadAudioContent answers through the parser and the
 * CDR -> history record mapping
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "core/kc-sync.h"
#include "kerio/kc-kerio-parse.h"

#include "fuzz-common.h"

static void
check_record (const KcRecord *record,
              const KcCdr    *cdr)
{
  kc_fuzz_assert (record->call_id != NULL && *record->call_id != '\0');
  kc_fuzz_assert (record->from_number != NULL && *record->from_number != '\0');
  kc_fuzz_assert (record->to_number != NULL && *record->to_number != '\0');
  kc_fuzz_assert (record->extension != NULL);
  kc_fuzz_assert (record->direction == KC_DIRECTION_INCOMING ||
                  record->direction == KC_DIRECTION_OUTGOING);
  kc_fuzz_assert (record->start_time == cdr->timestamp && record->start_time >= 0);
  kc_fuzz_assert (record->duration >= 0 && record->answered >= 0);
  kc_fuzz_assert (record->end_time >= record->start_time);
  kc_fuzz_assert (record->from_cdr);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (JsonNode) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) cdrs = NULL;
  g_autoptr (GPtrArray) recordings = NULL;
  g_autoptr (KcFileDownload) download = NULL;
  gint64 total = -1;

  kc_fuzz_init ();

  result = kc_kerio_parse_response ((const char *) data, size, &error);
  if (result == NULL)
    return 0;

  cdrs = kc_kerio_parse_cdrs (result, &total, NULL);
  for (guint i = 0; cdrs != NULL && i < cdrs->len; i++)
    {
      const KcCdr *cdr = g_ptr_array_index (cdrs, i);
      g_autoptr (KcRecord) with_extension = kc_sync_record_from_cdr (cdr, "1001", 4);
      g_autoptr (KcRecord) by_digits = kc_sync_record_from_cdr (cdr, NULL, 4);

      /* Whether a row is kept does not depend on the direction rule */
      kc_fuzz_assert ((with_extension != NULL) == (by_digits != NULL));
      if (with_extension != NULL)
        {
          check_record (with_extension, cdr);
          check_record (by_digits, cdr);
        }
    }

  recordings = kc_kerio_parse_recordings (result, &total, NULL);
  for (guint i = 0; recordings != NULL && i < recordings->len; i++)
    {
      const KcRecording *recording = g_ptr_array_index (recordings, i);

      kc_fuzz_assert (recording->duration >= -1 && recording->started >= -1);
    }

  download = kc_kerio_parse_file_download (result, NULL);
  if (download != NULL)
    {
      g_autofree char *file_name = kc_sanitize_file_name (download->name);

      kc_fuzz_assert (file_name != NULL && *file_name != '\0' && file_name[0] != '.');
    }
  return 0;
}
