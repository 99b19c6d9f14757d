/* kc-sim-server-private.h: what the parts of KcSimServer share
 *
 * The simulator is one object spread over one file per concern:
 *   kc-sim-server.c          the object, its settings, strings, counters
 *   kc-sim-server-json.c     writing and reading JSON
 *   kc-sim-server-rpc.c      HTTP, JSON-RPC, sessions, the download GET
 *   kc-sim-server-history.c  the CDR and recording tables, queries, pages
 *   kc-sim-server-calls.c    live calls: legs, ring groups, answers, ends, CDRs
 *   kc-sim-server-dialect.c  Status.getCalls rows in the field and SDK dialects
 *   kc-sim-server-traffic.c  the random traffic generator
 *   kc-sim-server-faults.c   faults, session expiry, restarts
 *   kc-sim-server-control.c  POST /sim/control
 *   kc-sim-server-truth.c    the ground truth
 *   kc-sim-server-replay.c   serving a capture back
 *
 * History is kept compact so that a million CDRs fit in a few tens of
 * megabytes: rows are plain structs whose strings are indices into one
 * interned string table, and each table keeps an index of its rows sorted by
 * time, so that a page with time conditions costs two binary searches rather
 * than a scan. Responses are written straight into a GString for the same
 * reason.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "kc-sim-server.h"

G_BEGIN_DECLS

#define COOKIE_NAME "SESSION_OPERATOR_WEBADMIN"
#define DOWNLOAD_PATH "/admin/api/download/"
#define CONTROL_PATH "/sim/control"
#define JSON_RPC_TYPE "application/json-rpc; charset=UTF-8"
#define NO_STRING G_MAXUINT32
#define KC_SIM_N_FAULTS (KC_SIM_FAULT_SLOW + 1)
#define KC_SIM_N_MOBILE_PREFIXES 8
#define KC_SIM_N_OPERATORS 10
/* Numbers longer than this are outside the PBX */
#define KC_SIM_EXTENSION_MAX_DIGITS 4

/* JSON-RPC error codes; GError codes in kc_sim_rpc_error_quark() are these */
enum
{
  RPC_PARSE_ERROR = -32700,
  RPC_INVALID_REQUEST = -32600,
  RPC_METHOD_NOT_FOUND = -32601,
  RPC_INVALID_PARAMS = -32602,
  RPC_SESSION_EXPIRED = -32001,
  RPC_LOGIN_FAILED = 1000,
  RPC_NO_SUCH_ITEM = 1001,
};

#define RPC_ERROR (kc_sim_rpc_error_quark ())

typedef enum
{
  SIM_LEG_CALLER, /* the caller's channel: TO the number dialled */
  SIM_LEG_CALLEE, /* the callee's channel of an external call */
  SIM_LEG_MEMBER, /* the channel ringing one extension of a ring group */
} SimLegKind;

/* One channel of a call: one row of Status.getCalls in the field dialect
 * (but a hidden one) */
typedef struct
{
  char       *id;        /* Asterisk's unique id, "<epoch of creation>.<serial>" */
  char       *to_number; /* the row's TO */
  gint64      created_us;
  gint64      gone_us;   /* hung up while the call goes on; 0: not */
  SimLegKind  kind;
  guint       serial;    /* of the id, and of the AMI channel's name */
  /* The callee's channel of a call between extensions: a channel on the
   * AMI, no row in Status.getCalls (the field notes show such a call as
   * one row) */
  gboolean    hidden;
  gboolean    ami_announced; /* its Newchannel is out */
  gboolean    ami_hung_up;   /* its Hangup is out */
} SimLeg;

typedef struct
{
  char     *id; /* the first leg's */
  char     *from_number;
  char     *from_name;
  char     *to_number; /* the callee, or the ring group's number */
  char     *to_name;
  GArray   *legs;      /* SimLeg, in order of creation */
  gboolean  group;
  char     *answered_by; /* of a ring group: the extension that answered */
  gint64    start_us;
  gint64    answer_us; /* 0 while ringing */
  guint     ringing_polls;
  guint     ringing_requests;
  guint     ami_source; /* announces the legs still to come on the AMI */
  guint     ami_bridge; /* serial of its bridge on the AMI, once answered */
} SimCall;

/* What became of a live call, for the ground truth. Strings are indices
 * into the string table; NO_STRING where a direct call has none. */
typedef struct
{
  guint32  id;
  guint32  from;
  guint32  to;
  guint32  group;       /* the group's number */
  guint32  rang;        /* the extensions rung, joined by commas */
  guint32  answered_by;
  gint64   start_us;
  gint64   ring_end_us; /* answered or gone */
  guint    ringing_polls;
  guint    ringing_requests;
  guint    legs;        /* rows it showed in Status.getCalls */
  gboolean answered;
} SimCallLog;

/* The time column comes first in both row types: SimTable reads it without
 * knowing the rest. */
typedef struct
{
  gint64  timestamp;
  guint32 id;        /* string index, or the prefix of a generated id */
  guint32 id_number; /* with CDR_GENERATED_ID: the id is "<prefix>-<id_number>" */
  guint32 from;
  guint32 to;
  guint32 call_duration;
  guint32 answered_duration;
  guint8  status;
  guint8  flags;
} SimCdr;

#define CDR_GENERATED_ID 1

typedef struct
{
  gint64  started;
  guint32 id;
  guint32 name;
  guint32 extension;
  guint32 caller_id;
  guint32 duration;
} SimRecording;

typedef struct
{
  GArray *rows;
  GArray *order; /* guint32 row numbers by (time, row number) */
} SimTable;

typedef struct
{
  KcSimFault  fault;
  const char *name;
} SimFaultName;

typedef struct _SimReplay SimReplay;

/* One number of the PBX's directory */
typedef struct
{
  char *number;
  char *description;
  int   type; /* EXTENSION_TYPE_ID: 1 line, 5 call queue, 9 ring group... */
} SimDirectoryEntry;

/* One customer of the CRM beside the PBX */
typedef struct
{
  char *number;
  char *name;
} SimCustomer;

/* The Asterisk Manager Interface (kc-sim-server-ami.c) */
typedef struct
{
  GSocketService  *service;  /* NULL: not listening */
  guint16          port;
  GPtrArray       *sessions; /* SimAmiSession, open ones */
  KcSimAmiVersion  version;
  char            *username; /* NULL: the API's */
  char            *secret;
  char            *tech;     /* of channel names: "SIP", "PJSIP" */
  gboolean         challenge;
  gboolean         refuse;
  gboolean         hang;
  guint            connection_count;
  guint            login_count; /* accepted */
  guint            event_count; /* events sent, counted once each */
  GHashTable      *action_counts; /* action (as sent) -> count */
  guint            bridge_serial;
} SimAmi;

struct _KcSimServer
{
  GObject       parent_instance;

  SoupServer   *server;
  guint16       port;
  gboolean      https;

  char         *username;
  char         *password;
  guint         page_cap;
  gboolean      omit_call_ids;
  KcSimDialect  dialect;
  gboolean      numeric_status;
  gboolean      numbers_as_strings;
  gboolean      record_calls;
  gboolean      record_generated;
  char         *download_url_override;

  SimReplay    *replay; /* answers from a capture instead; NULL: none */
  SimAmi        ami;

  GHashTable   *sessions; /* token -> cookie value */
  gboolean      ever_logged_in;

  GPtrArray    *calls; /* SimCall */
  guint         call_serial;
  double        cdr_delay;    /* seconds from a call's end to its CDR */
  GPtrArray    *pending_cdrs; /* records of calls gone, written after cdr_delay */

  GStringChunk *string_chunk;
  GPtrArray    *strings;    /* string index -> text in string_chunk */
  GHashTable   *string_ids; /* text -> string index + 1 */

  SimTable      cdrs;
  SimTable      recordings;
  GHashTable   *downloads; /* key -> recording row + 1 */

  KcSimFault    fault;
  guint         fault_remaining;
  double        slow_delay;
  GPtrArray    *pending; /* answers held back by the SLOW and DROP faults */
  GRand        *fault_rand;
  double        fault_rates[KC_SIM_N_FAULTS];
  guint         fault_counts[KC_SIM_N_FAULTS];
  KcSimFault    current_fault; /* of the answer being written */
  double        expire_every;
  guint         expire_source;
  guint         expiry_count;

  GTlsCertificate *certificate;
  gboolean      down;
  guint         up_source;
  guint         restart_count;
  SoupServerMessage *control_msg; /* the control request being handled */
  double        restart_down_for;
  GArray       *call_log; /* SimCallLog of the calls gone */

  GHashTable   *request_counts; /* method -> count */
  guint         unauthenticated_count;
  guint         download_count;
  guint         connection_count;

  GPtrArray    *directory;     /* SimDirectoryEntry, in TEL_NUM order */
  gboolean      directory_disabled;
  GPtrArray    *crm_customers; /* SimCustomer */
  KcSimCrmFault crm_fault;
  guint         crm_lookup_count;

  GRand        *traffic_rand;
  double        traffic_rate;
  double        traffic_max_talk; /* seconds */
  guint         traffic_source;
  GPtrArray    *traffic_calls; /* of the generator */
  GPtrArray    *traffic_missed; /* numbers whose last call went unanswered, oldest first */
  GHashTable   *traffic_ended;  /* number -> when its last call ended (monotonic µs) */
};

/* kc-sim-server.c */
guint32      kc_sim_intern                (KcSimServer *self,
                                           const char  *text);
const char  *kc_sim_lookup                (KcSimServer *self,
                                           guint32      id);
gboolean     kc_sim_is_extension          (const char  *number);

/* kc-sim-server-json.c */
void         kc_sim_write_string          (GString     *out,
                                           const char  *text);
void         kc_sim_write_member_name     (GString     *out,
                                           const char  *name);
void         kc_sim_write_member_string   (GString     *out,
                                           const char  *name,
                                           const char  *value);
void         kc_sim_write_int             (GString     *out,
                                           gint64       value);
/* As a JSON number, or a string with numbers_as_strings */
void         kc_sim_write_member_int      (KcSimServer *self,
                                           GString     *out,
                                           const char  *name,
                                           gint64       value);
gboolean     kc_sim_node_get_int          (JsonNode    *node,
                                           gint64      *out);
const char  *kc_sim_object_get_string     (JsonObject  *object,
                                           const char  *name);
gboolean     kc_sim_object_get_int        (JsonObject  *object,
                                           const char  *name,
                                           gint64      *out);
gboolean     kc_sim_object_get_double     (JsonObject  *object,
                                           const char  *name,
                                           double      *out);

/* kc-sim-server-rpc.c */
GQuark       kc_sim_rpc_error_quark       (void);
/* A JSON-RPC answer with `result` (JSON text), or `error` */
GString     *kc_sim_rpc_envelope          (const char        *id_json,
                                           const char        *result,
                                           const GError      *error);
void         kc_sim_respond               (SoupServerMessage *msg,
                                           guint              status,
                                           const char        *content_type,
                                           GString           *body);
void         kc_sim_respond_text          (SoupServerMessage *msg,
                                           guint              status,
                                           const char        *content_type,
                                           const char        *text);
void         kc_sim_handle_jsonrpc        (SoupServer        *server,
                                           SoupServerMessage *msg,
                                           const char        *path,
                                           GHashTable        *query,
                                           gpointer           user_data);
void         kc_sim_handle_download       (SoupServer        *server,
                                           SoupServerMessage *msg,
                                           const char        *path,
                                           GHashTable        *query,
                                           gpointer           user_data);
void         kc_sim_on_request_started    (SoupServer        *server,
                                           SoupServerMessage *msg,
                                           gpointer           user_data);

/* kc-sim-server-history.c */
void         kc_sim_table_init            (SimTable    *table,
                                           guint        row_size);
void         kc_sim_table_clear           (SimTable    *table);
void         kc_sim_add_cdr_row           (KcSimServer    *self,
                                           guint32         id,
                                           gint64          timestamp,
                                           const char     *from_number,
                                           const char     *to_number,
                                           KcSimCdrStatus  status,
                                           gint64          call_duration,
                                           gint64          answered_duration);
void         kc_sim_add_recording_row     (KcSimServer *self,
                                           const char  *id,
                                           const char  *extension,
                                           const char  *caller_id,
                                           gint64       started,
                                           gint64       duration);
char        *kc_sim_cdr_id                (KcSimServer  *self,
                                           const SimCdr *cdr);
gboolean     kc_sim_rpc_get_call_history  (KcSimServer        *self,
                                           SoupServerMessage  *msg,
                                           JsonObject         *params,
                                           GString            *out,
                                           GError            **error);
gboolean     kc_sim_rpc_get_recordings    (KcSimServer        *self,
                                           SoupServerMessage  *msg,
                                           JsonObject         *params,
                                           GString            *out,
                                           GError            **error);
gboolean     kc_sim_rpc_download_audio    (KcSimServer        *self,
                                           SoupServerMessage  *msg,
                                           JsonObject         *params,
                                           GString            *out,
                                           GError            **error);

/* kc-sim-server-calls.c */
void         kc_sim_call_free             (gpointer     data);
void         kc_sim_call_records_free      (gpointer     data);
/* What became of `call` so far, as of `now` */
void         kc_sim_call_log_entry        (KcSimServer   *self,
                                           const SimCall *call,
                                           gint64         now,
                                           SimCallLog    *entry);

/* kc-sim-server-dialect.c */
/* Distinct rows `call` has shown in Status.getCalls up to `until` */
guint        kc_sim_call_count_rows       (KcSimServer   *self,
                                           const SimCall *call,
                                           gint64         until);
gboolean     kc_sim_rpc_get_calls         (KcSimServer        *self,
                                           SoupServerMessage  *msg,
                                           JsonObject         *params,
                                           GString            *out,
                                           GError            **error);

/* kc-sim-server-traffic.c */
extern const char *const kc_sim_mobile_prefixes[KC_SIM_N_MOBILE_PREFIXES];
/* The people behind extensions 1001..1010 */
extern const char *const kc_sim_operator_names[KC_SIM_N_OPERATORS];
void         kc_sim_traffic_call_free     (gpointer     data);

/* kc-sim-server-faults.c */
extern const SimFaultName kc_sim_fault_names[KC_SIM_N_FAULTS];
void         kc_sim_pending_answer_free   (gpointer     data);
/* The fault for the answer to this request */
KcSimFault   kc_sim_next_fault            (KcSimServer *self,
                                           gboolean     login);
/* Holds the answer set on msg back: sent after slow-delay seconds (SLOW),
 * or the connection closed without it (DROP) */
void         kc_sim_hold_answer           (KcSimServer       *self,
                                           SoupServerMessage *msg,
                                           KcSimFault         fault);
/* Sends `body` (taken) as the answer, spoilt by `fault` */
void         kc_sim_send_rpc_answer       (KcSimServer       *self,
                                           SoupServerMessage *msg,
                                           KcSimFault         fault,
                                           GString           *body);

/* kc-sim-server-replay.c */
void         kc_sim_replay_free           (SimReplay   *replay);
/* Answers the request from the capture; FALSE for a login, which is the
 * simulator's own business */
gboolean     kc_sim_replay_handle         (KcSimServer       *self,
                                           SoupServerMessage *msg,
                                           const char        *method,
                                           JsonObject        *params,
                                           const char        *id_json);

/* kc-sim-server-ami.c */
void         kc_sim_ami_init              (KcSimServer *self);
void         kc_sim_ami_clear             (KcSimServer *self);
gboolean     kc_sim_ami_is_listening      (KcSimServer *self);
/* Sends one event (a block without its empty line) to every session that
 * is logged in and asked for one of `classes` ("call,all") */
void         kc_sim_ami_broadcast         (KcSimServer *self,
                                           const char  *classes,
                                           GString     *event);
/* The PBX reboots: sessions end once what they were sent is out, and
 * nothing listens until kc_sim_ami_come_up() */
void         kc_sim_ami_go_down           (KcSimServer *self);
void         kc_sim_ami_come_up           (KcSimServer *self);
JsonNode    *kc_sim_ami_stats             (KcSimServer *self);

/* kc-sim-server-ami-events.c: the channels of calls on the AMI */
void         kc_sim_ami_call_added        (KcSimServer *self,
                                           SimCall     *call);
void         kc_sim_ami_call_answered     (KcSimServer *self,
                                           SimCall     *call);
void         kc_sim_ami_call_ended        (KcSimServer    *self,
                                           SimCall        *call,
                                           KcSimCdrStatus  unanswered_status);

/* kc-sim-server-directory.c */
void         kc_sim_directory_init        (KcSimServer *self);
gboolean     kc_sim_rpc_get_directory     (KcSimServer        *self,
                                           SoupServerMessage  *msg,
                                           JsonObject         *params,
                                           GString            *out,
                                           GError            **error);

/* kc-sim-server-crm.c */
void         kc_sim_crm_init              (KcSimServer *self);
/* A number the CRM knows, for the traffic's regular callers: the n-th
 * (modulo how many it knows) */
const char  *kc_sim_crm_regular           (KcSimServer *self,
                                           guint        n);
void         kc_sim_handle_crm            (SoupServer        *server,
                                           SoupServerMessage *msg,
                                           const char        *path,
                                           GHashTable        *query,
                                           gpointer           user_data);
gboolean     kc_sim_crm_fault_from_name   (const char        *name,
                                           KcSimCrmFault     *fault);

/* kc-sim-server-control.c */
void         kc_sim_handle_control        (SoupServer        *server,
                                           SoupServerMessage *msg,
                                           const char        *path,
                                           GHashTable        *query,
                                           gpointer           user_data);

G_END_DECLS
