/* kc-record.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-record"

#include "kc-record.h"

KcRecord *
kc_record_new (void)
{
  return g_new0 (KcRecord, 1);
}

void
kc_record_free (KcRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->id);
  g_free (record->call_id);
  g_free (record->from_number);
  g_free (record->to_number);
  g_free (record->extension);
  g_free (record->recording_id);
  g_free (record->recording_path);
  g_free (record);
}
