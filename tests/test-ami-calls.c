/* test-ami-calls.c: AMI channel events into the rows a poll would list,
 * event by event, without a socket (the families end to end are in
 * test-tracker, /tracker/ami/...)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "core/kc-ami-calls.h"
#include "kerio/kc-kerio-types.h"

static void
feed (KcAmiCalls        *calls,
      const char *const *pairs)
{
  g_autoptr (KcAmiMessage) event = kc_ami_message_new (pairs);

  kc_ami_calls_handle_event (calls, event, g_get_real_time ());
}

static GPtrArray *
rows_now (KcAmiCalls *calls)
{
  return kc_ami_calls_get_rows (calls, g_get_real_time ());
}

static void
assert_row (GPtrArray  *rows,
            guint       index,
            const char *id,
            const char *from,
            const char *to,
            const char *status)
{
  const KcActiveCall *row = g_ptr_array_index (rows, index);

  g_assert_cmpstr (row->id, ==, id);
  g_assert_cmpstr (row->from_number, ==, from);
  g_assert_cmpstr (row->to_number, ==, to);
  g_assert_cmpstr (row->status, ==, status);
}

/* Asterisk 1.8 ringing a phone for an Originate (a click-to-call): no Dial,
 * no Linkedid, the party it connects to in ConnectedLineNum. It used to
 * crash the tracker (a hash lookup of no key). */
static void
test_ringing_without_dial (void)
{
  g_autoptr (KcAmiCalls) calls = kc_ami_calls_new ();
  GPtrArray *rows;

  feed (calls, (const char *const[]){ "Event", "Newchannel", "Channel", "SIP/1001-00000007",
                                      "ChannelState", "0", "CallerIDNum", "1001", "Uniqueid",
                                      "1765123456.7", "Exten", "", NULL });
  feed (calls, (const char *const[]){ "Event", "Newstate", "Channel", "SIP/1001-00000007",
                                      "ChannelState", "5", "CallerIDNum", "1001",
                                      "ConnectedLineNum", "+998901234567", "Uniqueid",
                                      "1765123456.7", NULL });
  rows = rows_now (calls);
  g_assert_cmpuint (rows->len, ==, 1);
  assert_row (rows, 0, "1765123456.7", "+998901234567", "1001", "0");
  g_ptr_array_unref (rows);

  feed (calls, (const char *const[]){ "Event", "Hangup", "Channel", "SIP/1001-00000007",
                                      "Uniqueid", "1765123456.7", "Cause", "16", NULL });
  rows = rows_now (calls);
  g_assert_cmpuint (rows->len, ==, 0);
  g_ptr_array_unref (rows);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ami-calls/ringing-without-dial", test_ringing_without_dial);
  return g_test_run ();
}
