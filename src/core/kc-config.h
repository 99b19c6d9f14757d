/* kc-config.h: settings from the environment over GSettings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kerio/kc-kerio-capture.h"

G_BEGIN_DECLS

#define KC_CONFIG_ERROR (kc_config_error_quark ())

typedef enum
{
  KC_CONFIG_ERROR_INVALID, /* the message names the variable */
  KC_CONFIG_ERROR_MISSING, /* no PBX host configured */
} KcConfigError;

#define KC_DEFAULT_PORT 4021
#define KC_DEFAULT_PATH "/admin/api/jsonrpc/"

typedef struct
{
  GUri   *endpoint;          /* NULL when no host is configured */
  char   *username;
  char   *password;
  double  poll_interval;     /* seconds */
  double  sync_interval;     /* minutes */
  char   *extension;         /* NULL when unset */
  guint   extension_digits;
  char   *tls_pin;           /* 64 lowercase hex, NULL when unset */
  gboolean password_from_environment; /* KERIO_API_PASSWORD was used */
  /* KERIO_CAPTURE (kerio-cti --capture), opened; NULL when unset */
  KcKerioCapture *capture;
  /* The event server (KERIO_EVENTS_LISTEN, kerio-cti --listen, or the
   * events-listen key): where it listens, NULL when off. A non-loopback
   * address comes only with a token. */
  GInetSocketAddress *events_address;
  char   *events_token;       /* KERIO_EVENTS_TOKEN, NULL when unset */
  char  **events_origins;     /* normalized origins; NULL when none is set */
  gboolean events_from_environment; /* the address came from KERIO_EVENTS_LISTEN */
  /* The Asterisk Manager Interface: NULL when off (KERIO_AMI, ami-host) */
  char   *ami_host;
  guint16 ami_port;
  char   *ami_username;      /* NULL: the API user name */
  char   *ami_password;      /* NULL: none given (the keyring may have one) */
  gboolean ami_password_from_environment; /* KERIO_AMI_PASSWORD was used */
  /* The CRM (KERIO_LOOKUP_URL, KERIO_CRM_URL, the lookup-url and crm-url
   * keys): http(s) URL templates with {number}, NULL when unset */
  char   *lookup_url;
  char   *crm_url;
} KcConfig;

GQuark     kc_config_error_quark (void);

/* Reads GSettings (schema uz.kerio.Cti, when installed; else defaults with
 * one warning), then the KERIO_* variables over it. An invalid value is a
 * KC_CONFIG_ERROR_INVALID whose one-line message names the variable; so is
 * a KERIO_CAPTURE file that cannot be written (it is opened here). */
KcConfig  *kc_config_load        (GError **error);
void       kc_config_free        (KcConfig *config);
/* The warning, translated, for a password taken from KERIO_API_PASSWORD */
const char *kc_config_password_warning (void);
/* The same for KERIO_AMI_PASSWORD */
const char *kc_config_ami_password_warning (void);

/* "host", "host:port", "[v6]:port", "https://host:port[/path]" or http://
 * -> endpoint URL; default scheme https, port 4021, path /admin/api/jsonrpc/ */
GUri      *kc_config_parse_host  (const char  *text,
                                  GError     **error);
/* "127.0.0.1:8765", "[::1]:8765", "localhost:8765" (127.0.0.1), "0.0.0.0:8765"
 * (every address); port 0 picks a free one. An address, never a host name
 * to resolve: what is loopback must be known before listening. */
GInetSocketAddress *kc_config_parse_listen (const char  *text,
                                            GError     **error);
/* The other way: "127.0.0.1:0", "[::1]:8765" */
char      *kc_config_format_listen (GInetSocketAddress *address);
/* "https://crm.example.uz:8443/" -> "https://crm.example.uz:8443", as a
 * browser's Origin header spells it (lower case, no default port, no
 * path); NULL when text is not an http(s) origin */
char      *kc_config_parse_origin (const char *text);
/* At least KC_EVENTS_TOKEN_MIN characters, each a letter, a digit or one of
 * "-._~", so that it goes into a header and a URL as it is */
gboolean   kc_config_is_valid_token (const char *token);
#define KC_EVENTS_TOKEN_MIN 16
/* KERIO_AMI: "host", "host:port", "[v6]:port", or "pbx" for the PBX's own
 * host (pbx_host, NULL when unknown); port 5038 when omitted */
gboolean   kc_config_parse_ami   (const char  *text,
                                  const char  *pbx_host,
                                  char       **host,
                                  guint16     *port,
                                  GError     **error);
/* The AMI user name in effect: its own, else the API's */
const char *kc_config_get_ami_username (const KcConfig *config);

/* A positive finite decimal ("2", "0.5") */
gboolean   kc_config_parse_interval (const char  *text,
                                     double      *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcConfig, kc_config_free)

G_END_DECLS
