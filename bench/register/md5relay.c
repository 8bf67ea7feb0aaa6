/* md5relay: a UDP relay for benchmarks that removes SHA-256 digest challenges.
 *
 * SIPp 3.6 answers only the first WWW-/Proxy-Authenticate header and knows only MD5, while Parley
 * offers SHA-256 first (RFC 8760 order) and has no setting to offer MD5 alone. This relay sits
 * between one SIPp instance and the server: datagrams arriving at the front socket go to the
 * server from the back socket; datagrams from the server lose every *-Authenticate line that
 * names algorithm=SHA-256 and go to the last client address. Batched with recvmmsg/sendmmsg so
 * its own cost stays small; the benchmarks count its CPU separately, never as the server's.
 *
 * Usage: md5relay SERVER_IP SERVER_PORT   (prints "listening PORT" once bound on 127.0.0.1)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kBatch = 64, kMax = 65536 };

static char bufs[kBatch][kMax];

static int bound_socket(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int size = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  struct sockaddr_in a = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    perror("bind");
    exit(1);
  }
  return fd;
}

/* Removes "\r\nWWW-Authenticate: ...algorithm=SHA-256..." lines in place; returns the new length. */
static size_t strip_sha256(char *msg, size_t len) {
  size_t out = 0, i = 0;
  while (i < len) {
    char *eol = memmem(msg + i, len - i, "\r\n", 2);
    size_t end = eol ? (size_t)(eol - msg) + 2 : len;
    size_t n = end - i;
    int drop = 0;
    if ((n > 17 && strncasecmp(msg + i, "WWW-Authenticate:", 17) == 0) ||
        (n > 19 && strncasecmp(msg + i, "Proxy-Authenticate:", 19) == 0)) {
      drop = memmem(msg + i, n, "algorithm=SHA-256", 17) != NULL;
    }
    if (!drop) {
      memmove(msg + out, msg + i, n);
      out += n;
    }
    i = end;
  }
  return out;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: md5relay SERVER_IP SERVER_PORT\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
  inet_pton(AF_INET, argv[1], &server.sin_addr);
  int front = bound_socket(), back = bound_socket();
  struct sockaddr_in me;
  socklen_t mlen = sizeof me;
  getsockname(front, (struct sockaddr *)&me, &mlen);
  printf("listening %d\n", ntohs(me.sin_port));
  fflush(stdout);

  struct sockaddr_in client = {0}, from[kBatch];
  int have_client = 0;
  struct mmsghdr msgs[kBatch];
  struct iovec iov[kBatch];
  struct pollfd pfd[2] = {{.fd = front, .events = POLLIN}, {.fd = back, .events = POLLIN}};
  for (;;) {
    if (poll(pfd, 2, -1) < 0) continue;
    for (int side = 0; side < 2; ++side) {
      if (!(pfd[side].revents & POLLIN)) continue;
      for (int k = 0; k < kBatch; ++k) {
        iov[k] = (struct iovec){bufs[k], kMax};
        msgs[k].msg_hdr = (struct msghdr){.msg_name = &from[k], .msg_namelen = sizeof from[k],
                                          .msg_iov = &iov[k], .msg_iovlen = 1};
      }
      int n = recvmmsg(pfd[side].fd, msgs, kBatch, MSG_DONTWAIT, NULL);
      if (n <= 0) continue;
      for (int k = 0; k < n; ++k) {
        size_t len = msgs[k].msg_len;
        if (side == 0) {
          client = from[k];
          have_client = 1;
          msgs[k].msg_hdr.msg_name = &server;
        } else {
          len = strip_sha256(bufs[k], len);
          msgs[k].msg_hdr.msg_name = &client;
        }
        msgs[k].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
        iov[k].iov_len = len;
      }
      if (side == 1 && !have_client) continue;
      sendmmsg(side == 0 ? back : front, msgs, (unsigned)n, 0);
    }
  }
}
