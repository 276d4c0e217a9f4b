// keepalive-ts native socket layer: the few syscalls Node.js has no API for
// (raw IP, AF_PACKET, netlink sockets). Deliberately thin: packets, socket
// addresses and netlink messages are built and parsed in TypeScript.
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK(call)                                                       \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error(env, NULL, "keepalive-ts native: N-API call failed"); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  napi_value m, code, err;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_int32(env, errno, &code);
  napi_create_error(env, NULL, m, &err);
  napi_set_named_property(env, err, "errno", code);
  napi_throw(env, err);
  return NULL;
}

static int arg_int(napi_env env, napi_value v, int *out) { return napi_get_value_int32(env, v, out) == napi_ok; }

static int arg_buf(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return 0;
  return napi_get_buffer_info(env, v, data, len) == napi_ok;
}

static napi_value ret_int(napi_env env, int v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

// socket(domain, type, protocol) -> fd (non-blocking, close-on-exec)
static napi_value js_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  int d, t, p;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 3 || !arg_int(env, a[0], &d) || !arg_int(env, a[1], &t) || !arg_int(env, a[2], &p))
    return napi_throw_type_error(env, NULL, "socket(domain, type, protocol)"), NULL;
  int fd = socket(d, t | SOCK_NONBLOCK | SOCK_CLOEXEC, p);
  if (fd < 0) return throw_errno(env, "socket");
  return ret_int(env, fd);
}

// setsockopt(fd, level, name, Buffer)
static napi_value js_setsockopt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4];
  int fd, level, name;
  void *data;
  size_t len;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 4 || !arg_int(env, a[0], &fd) || !arg_int(env, a[1], &level) || !arg_int(env, a[2], &name) ||
      !arg_buf(env, a[3], &data, &len))
    return napi_throw_type_error(env, NULL, "setsockopt(fd, level, name, buffer)"), NULL;
  if (setsockopt(fd, level, name, data, (socklen_t)len) < 0) return throw_errno(env, "setsockopt");
  return NULL;
}

// bind(fd, sockaddr Buffer)
static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  int fd;
  void *sa;
  size_t salen;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 2 || !arg_int(env, a[0], &fd) || !arg_buf(env, a[1], &sa, &salen))
    return napi_throw_type_error(env, NULL, "bind(fd, sockaddr)"), NULL;
  if (bind(fd, (struct sockaddr *)sa, (socklen_t)salen) < 0) return throw_errno(env, "bind");
  return NULL;
}

// sendto(fd, data Buffer, sockaddr Buffer) -> bytes sent, or -1 when the socket buffer is full
static napi_value js_sendto(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  int fd;
  void *data, *sa;
  size_t len, salen;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 3 || !arg_int(env, a[0], &fd) || !arg_buf(env, a[1], &data, &len) || !arg_buf(env, a[2], &sa, &salen))
    return napi_throw_type_error(env, NULL, "sendto(fd, data, sockaddr)"), NULL;
  ssize_t n = sendto(fd, data, len, 0, (struct sockaddr *)sa, (socklen_t)salen);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return ret_int(env, -1);
    return throw_errno(env, "sendto");
  }
  return ret_int(env, (int)n);
}

// recv(fd, into Buffer, timeoutMs) -> bytes read, -1 when nothing arrived in time
static napi_value js_recv(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  int fd, timeout = 0;
  void *data;
  size_t len;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 2 || !arg_int(env, a[0], &fd) || !arg_buf(env, a[1], &data, &len))
    return napi_throw_type_error(env, NULL, "recv(fd, buffer, timeoutMs)"), NULL;
  if (argc > 2) arg_int(env, a[2], &timeout);
  if (timeout > 0) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do r = poll(&p, 1, timeout);
    while (r < 0 && errno == EINTR);
    if (r == 0) return ret_int(env, -1);
  }
  ssize_t n = recv(fd, data, len, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return ret_int(env, -1);
    return throw_errno(env, "recv");
  }
  return ret_int(env, (int)n);
}

// recvMeta(fd, into Buffer, meta Buffer(40)) -> bytes read, -1 when nothing is waiting.
// For UDP sockets of either family (an IPv6 one may be dual-stack) and IPv6 raw
// sockets (which give no IP header): meta gets
// source address (16, IPv4 as ::ffff:a.b.c.d) | destination (16, from
// IP_PKTINFO / IPV6_PKTINFO, zero when absent) | TTL or hop limit (int32,
// IP_RECVTTL / IPV6_RECVHOPLIMIT, -1 when absent) | source port (uint16, host order) | pad.
static napi_value js_recv_meta(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  int fd;
  void *data, *meta;
  size_t len, mlen;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 3 || !arg_int(env, a[0], &fd) || !arg_buf(env, a[1], &data, &len) || !arg_buf(env, a[2], &meta, &mlen) ||
      mlen < 40)
    return napi_throw_type_error(env, NULL, "recvMeta(fd, buffer, meta)"), NULL;
  struct sockaddr_storage from;
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) + 2 * CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {.iov_base = data, .iov_len = len};
  struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                     .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return ret_int(env, -1);
    return throw_errno(env, "recvmsg");
  }
  unsigned char *out = meta;
  int ttl = -1;
  uint16_t port = 0;
  memset(out, 0, 40);
  if (from.ss_family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&from;
    memcpy(out, &s6->sin6_addr, 16);
    port = ntohs(s6->sin6_port);
  } else if (from.ss_family == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&from;
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &s4->sin_addr, 4);
    port = ntohs(s4->sin_port);
  }
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      memcpy(out + 16, &pi.ipi6_addr, 16);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      out[26] = out[27] = 0xff;
      memcpy(out + 28, &pi.ipi_addr, 4);
    } else if ((c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) ||
               (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)) {
      memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
    }
  }
  memcpy(out + 32, &ttl, 4);
  memcpy(out + 36, &port, 2);
  return ret_int(env, (int)n);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  int fd;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 1 || !arg_int(env, a[0], &fd)) return napi_throw_type_error(env, NULL, "close(fd)"), NULL;
  close(fd);
  return NULL;
}

// ifindex(name) -> index, 0 when there is no such interface
static napi_value js_ifindex(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  char name[IF_NAMESIZE + 1] = {0};
  size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, a[0], name, sizeof name, &n) != napi_ok)
    return napi_throw_type_error(env, NULL, "ifindex(name)"), NULL;
  return ret_int(env, (int)if_nametoindex(name));
}

// connect(fd, sockaddr) -> 0 connected, 1 in progress (watch for writable), -errno failed
static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  int fd;
  void *sa;
  size_t salen;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 2 || !arg_int(env, a[0], &fd) || !arg_buf(env, a[1], &sa, &salen))
    return napi_throw_type_error(env, NULL, "connect(fd, sockaddr)"), NULL;
  if (connect(fd, (struct sockaddr *)sa, (socklen_t)salen) == 0) return ret_int(env, 0);
  return ret_int(env, errno == EINPROGRESS ? 1 : -errno);
}

// soError(fd) -> the socket's pending error (0: none; after a connect: connected)
static napi_value js_so_error(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  int fd, e = 0;
  socklen_t len = sizeof e;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 1 || !arg_int(env, a[0], &fd)) return napi_throw_type_error(env, NULL, "soError(fd)"), NULL;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0) e = errno;
  return ret_int(env, e);
}

// ---- readiness notifications on the calling thread's libuv loop ----

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  int closing;
} watch_t;

static void on_closed(uv_handle_t *h) {
  watch_t *w = (watch_t *)h->data;
  free(w);
}

static void on_readable(uv_poll_t *p, int status, int events) {
  (void)events;
  watch_t *w = (watch_t *)p->data;
  if (w->closing) return;
  napi_handle_scope scope;
  napi_open_handle_scope(w->env, &scope);
  napi_value cb, global, st;
  napi_get_reference_value(w->env, w->cb, &cb);
  napi_get_global(w->env, &global);
  napi_create_int32(w->env, status, &st);
  napi_value result;
  if (napi_call_function(w->env, global, cb, 1, &st, &result) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(w->env, &exc);
    napi_fatal_exception(w->env, exc);
  }
  napi_close_handle_scope(w->env, scope);
}

static void finalize_watch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  (void)data;
}

// watch(fd, callback[, writable]) -> handle; callback(status) runs whenever fd is
// readable (or, with writable true, writable: a connect finished)
static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  int fd;
  bool writable = false;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 2 || !arg_int(env, a[0], &fd)) return napi_throw_type_error(env, NULL, "watch(fd, cb)"), NULL;
  if (argc >= 3) napi_get_value_bool(env, a[2], &writable);
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  watch_t *w = calloc(1, sizeof *w);
  w->env = env;
  CHECK(napi_create_reference(env, a[1], 1, &w->cb));
  if (uv_poll_init(loop, &w->poll, fd) != 0) {
    free(w);
    return napi_throw_error(env, NULL, "uv_poll_init failed"), NULL;
  }
  w->poll.data = w;
  uv_poll_start(&w->poll, writable ? UV_WRITABLE : UV_READABLE, on_readable);
  napi_value ext;
  CHECK(napi_create_external(env, w, finalize_watch, NULL, &ext));
  return ext;
}

// unwatch(handle)
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  void *p;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, a[0], &p) != napi_ok)
    return napi_throw_type_error(env, NULL, "unwatch(handle)"), NULL;
  watch_t *w = (watch_t *)p;
  if (w->closing) return NULL;
  w->closing = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->cb);
  uv_close((uv_handle_t *)&w->poll, on_closed);
  return NULL;
}

// threadPriority(nice, rt): the calling thread's nice value and, with rt > 0,
// SCHED_RR at priority rt (keepalived's vrrp_priority / vrrp_rt_priority, for
// the thread that runs VRRP rather than a process)
static napi_value js_thread_priority(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  int nice_value, rt;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 2 || !arg_int(env, a[0], &nice_value) || !arg_int(env, a[1], &rt))
    return napi_throw_type_error(env, NULL, "threadPriority(nice, rt)"), NULL;
  pid_t tid = (pid_t)syscall(SYS_gettid);
  if (setpriority(PRIO_PROCESS, (id_t)tid, nice_value) < 0) return throw_errno(env, "setpriority");
  if (rt > 0) {
    struct sched_param p = {.sched_priority = rt};
    if (sched_setscheduler(tid, SCHED_RR, &p) < 0) return throw_errno(env, "sched_setscheduler");
  }
  return NULL;
}

// mlockall(): keepalived's *_no_swap, MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT as
// keepalived (pages are locked once touched: V8's large reservations stay virtual)
static napi_value js_mlockall(napi_env env, napi_callback_info info) {
  (void)info;
  if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0) return throw_errno(env, "mlockall");
  return NULL;
}

// threadAffinity(cpus): sched_setaffinity of the calling thread (keepalived's
// *_cpu_affinity, for a thread rather than a process)
static napi_value js_thread_affinity(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  uint32_t n;
  bool is_array = false;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 1 || napi_is_array(env, a[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, a[0], &n) != napi_ok)
    return napi_throw_type_error(env, NULL, "threadAffinity(cpus)"), NULL;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    int cpu;
    if (napi_get_element(env, a[0], i, &e) != napi_ok || !arg_int(env, e, &cpu) || cpu < 0 || cpu >= CPU_SETSIZE)
      return napi_throw_range_error(env, NULL, "threadAffinity: bad cpu id"), NULL;
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity((pid_t)syscall(SYS_gettid), sizeof set, &set) < 0) return throw_errno(env, "sched_setaffinity");
  return NULL;
}

// rlimitRttime(soft, hard): RLIMIT_RTTIME in microseconds (process-wide; the
// kernel counts it per realtime thread between blocking calls)
static napi_value js_rlimit_rttime(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  int64_t soft, hard;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 2 || napi_get_value_int64(env, a[0], &soft) != napi_ok ||
      napi_get_value_int64(env, a[1], &hard) != napi_ok || soft < 0 || hard < soft)
    return napi_throw_type_error(env, NULL, "rlimitRttime(soft, hard)"), NULL;
  struct rlimit r = {.rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard};
  if (setrlimit(RLIMIT_RTTIME, &r) < 0) return throw_errno(env, "setrlimit(RLIMIT_RTTIME)");
  return NULL;
}

// gettid(): the calling thread's id (/proc/PID/task/TID)
static napi_value js_gettid(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  CHECK(napi_create_int32(env, (int32_t)syscall(SYS_gettid), &v));
  return v;
}

NAPI_MODULE_INIT() {
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"socket", js_socket}, {"setsockopt", js_setsockopt}, {"bind", js_bind},     {"sendto", js_sendto},
      {"recv", js_recv},     {"close", js_close},           {"ifindex", js_ifindex}, {"watch", js_watch},
      {"unwatch", js_unwatch}, {"threadPriority", js_thread_priority}, {"connect", js_connect},
      {"soError", js_so_error},
      {"recvMeta", js_recv_meta}, {"mlockall", js_mlockall}, {"threadAffinity", js_thread_affinity},
      {"rlimitRttime", js_rlimit_rttime}, {"gettid", js_gettid},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}
