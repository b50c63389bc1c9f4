#!/usr/bin/perl
# raw_client.pl — speaks (and breaks) dangan's wire protocol by hand, for test_serve.sh.
#
#   raw_client.pl SOCKET frame TEXT      send TEXT as one frame, print the answer's body
#   raw_client.pl SOCKET header N        announce an N-byte frame, send up to 64 KiB of it
#   raw_client.pl SOCKET partial         send half a frame and wait for the server's verdict
#   raw_client.pl SOCKET junk SEED N     N connections of random bytes (deterministic)
#   raw_client.pl SOCKET hold N          hold N idle connections, then print what an N+1st hears
#   raw_client.pl SOCKET flood N WAIT HOLD  open N connections; within WAIT s sort them into
#                                        refused (the server sent a frame and closed), dropped
#                                        (closed without a word) and open; print
#                                        "refused R dropped D open O: <each kind of refusal>", then
#                                        keep the open ones HOLD s more
#   raw_client.pl SOCKET slowread TEXT   send TEXT as one frame, read the answer 4 KiB every
#                                        0.1 s for at most 8 s; print "closed|complete|open
#                                        after N of M bytes"
#   raw_client.pl SOCKET keys N          send a search request with N extra keys
#
# Every answer is printed as "<body>" or "EOF" when the server closed without a frame.
use strict;
use warnings;
use IO::Select;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time);

$SIG{PIPE} = 'IGNORE';
my ($path, $mode, @args) = @ARGV;

sub connect_server {
    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path)
        or die "connect $path: $!\n";
    return $s;
}

sub read_exactly {
    my ($s, $n) = @_;
    my $buf = '';
    while (length($buf) < $n) {
        my $got = sysread($s, $buf, $n - length($buf), length($buf));
        return undef unless $got;
    }
    return $buf;
}

# One frame from the server, or "EOF"; gives up after 20 s so a test never hangs.
sub read_frame {
    my ($s) = @_;
    local $SIG{ALRM} = sub { die "no answer within 20 s\n" };
    alarm 20;
    my $header = read_exactly($s, 4);
    my $out = 'EOF';
    if (defined $header) {
        my $body = read_exactly($s, unpack('N', $header));
        $out = defined $body ? $body : 'EOF';
    }
    alarm 0;
    return $out;
}

sub send_bytes {
    my ($s, $bytes) = @_;
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite($s, $bytes, length($bytes) - $off, $off);
        return 0 unless defined $n && $n > 0;
        $off += $n;
    }
    return 1;
}

if ($mode eq 'frame') {
    my $s = connect_server();
    my $text = $args[0];
    utf8::encode($text) if utf8::is_utf8($text);
    send_bytes($s, pack('N', length $text) . $text);
    print read_frame($s), "\n";
} elsif ($mode eq 'header') {
    my $s = connect_server();
    my $n = $args[0];
    send_bytes($s, pack('N', $n));
    my $chunk = 'x' x 65536;
    send_bytes($s, substr($chunk, 0, $n < 65536 ? $n : 65536)) if $n > 0;
    print read_frame($s), "\n";
} elsif ($mode eq 'partial') {
    my $s = connect_server();
    my $start = time;
    send_bytes($s, pack('N', 100) . '{"v":1,"cm');
    my $answer = read_frame($s);
    printf "%s\nafter %.1f s\n", $answer, time - $start;
} elsif ($mode eq 'junk') {
    my ($seed, $count) = @args;
    srand($seed);
    for my $i (1 .. $count) {
        my $s = connect_server();
        my $len = 1 + int(rand(300));
        my $bytes = join '', map { chr(int(rand(256))) } 1 .. $len;
        # Sometimes a small plausible header first, so the body reaches the JSON parser.
        $bytes = pack('N', $len) . $bytes if $i % 3 == 0;
        send_bytes($s, $bytes);
        shutdown($s, 1);
        my $answer = read_frame($s);
        close $s;
    }
    print "junk sent\n";
} elsif ($mode eq 'hold') {
    my @held = map { connect_server() } 1 .. $args[0];
    select(undef, undef, undef, 0.3); # let the server accept them all
    my $extra = connect_server();
    print read_frame($extra), "\n";
    close $_ for @held;
} elsif ($mode eq 'flood') {
    my ($count, $wait, $hold) = @args;
    my @socks = map { connect_server() } 1 .. $count;
    my (%state, %seen);
    my $first = '';
    my $until = time + $wait;
    my $select = IO::Select->new(@socks);
    while ($select->count && time < $until) {
        for my $s ($select->can_read($until - time)) {
            my $answer = read_frame($s);
            $select->remove($s);
            if ($answer eq 'EOF') {
                $state{$s} = 'dropped';
            } else {
                $state{$s} = 'refused';
                (my $kind = $answer) =~ s/\(refused pid \d+\)//;
                $first .= ($first ? ' | ' : '') . $answer unless $seen{$kind}++;
            }
        }
    }
    my %n = (refused => 0, dropped => 0, open => 0);
    $n{$state{$_} // 'open'}++ for @socks;
    $| = 1;
    print "refused $n{refused} dropped $n{dropped} open $n{open}: $first\n";
    select(undef, undef, undef, $hold) if $hold > 0;
    close $_ for @socks;
} elsif ($mode eq 'slowread') {
    my $s = connect_server();
    my $text = $args[0];
    send_bytes($s, pack('N', length $text) . $text);
    my ($got, $total, $verdict) = (0, undef, 'open');
    my $buf = '';
    my $until = time + 8;
    while (time < $until) {
        my $n = sysread($s, $buf, 4096, length $buf);
        if (!$n) { $verdict = 'closed'; last; }
        $got += $n;
        $total = 4 + unpack('N', substr($buf, 0, 4)) if !defined $total && length $buf >= 4;
        if (defined $total && $got >= $total) { $verdict = 'complete'; last; }
        $buf = substr($buf, 0, 4);
        select(undef, undef, undef, 0.1);
    }
    printf "%s after %d of %s bytes\n", $verdict, $got, $total // '?';
} elsif ($mode eq 'keys') {
    my $s = connect_server();
    my $text = '{"v":1,"cmd":"search","args":{"query":"x"'
        . join('', map { ",\"k$_\":1" } 1 .. $args[0]) . '}}';
    send_bytes($s, pack('N', length $text) . $text);
    print read_frame($s), "\n";
} else {
    die "unknown mode $mode\n";
}
