#!/usr/bin/perl
# Perl Mail::DKIM (libmail-dkim-perl) as a DKIM peer for
# tests/integration/dkim_interop.sh.
#
#   dkim_peer.pl --dns-port P sign --domain D --selector S --key PEM
#       [--algorithm rsa-sha256|ed25519-sha256] [--canon H/B]
#       [--headers h1:h2:...] [--identity I] [--timestamp T]
#       [--expiration X] [IN [OUT]]
#   dkim_peer.pl --dns-port P verify [IN [OUT]]
#   dkim_peer.pl --dns-port P batch JOBFILE
#   dkim_peer.pl caps            (the algorithms this Mail::DKIM can do)
#
# Messages are read and written with LF line ends (CRLF inside).  sign
# writes the message with the new DKIM-Signature prepended; h= is exactly
# --headers (repeats oversign), through a signer policy.  verify writes one
# line per DKIM-Signature in header order, as `timbre dkim verify --verbose`
# does: "[OK]: DOMAIN", "[EX]: DOMAIN s=SEL REASON" or "[ER]: DOMAIN s=SEL
# REASON"; exit 0 if all are OK, else 1.  batch runs many jobs in one
# process: each line of JOBFILE is the tab-separated argv of a sign or
# verify job with IN and OUT given; a verify job also writes OUT.rc, a
# failed sign job leaves OUT absent and its error in OUT.err.
#
# Keys are looked up with Net::DNS at 127.0.0.1:P (the test's NSD).

use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Crypt::OpenSSL::RSA;
use Mail::DKIM;
use Mail::DKIM::DNS;
use Mail::DKIM::PrivateKey;
use Mail::DKIM::Signature;
use Mail::DKIM::Signer;
use Mail::DKIM::Verifier;
use Net::DNS::Resolver;

my $dns_port = 53;

sub usage {
	die "usage: dkim_peer.pl [--dns-port P] sign|verify|batch|caps ...\n";
}

sub slurp {
	my ($path) = @_;
	my $fh;
	if ($path eq '-') {
		$fh = \*STDIN;
	} else {
		open $fh, '<', $path or die "$path: $!\n";
	}
	binmode $fh;
	local $/;
	my $data = <$fh>;
	close $fh unless $path eq '-';
	$data = '' unless defined $data;
	$data =~ s/\015\012/\012/g;
	$data =~ s/\012/\015\012/g;
	return $data;
}

sub spew {
	my ($path, $data) = @_;
	$data =~ s/\015\012/\012/g;
	if ($path eq '-') {
		binmode STDOUT;
		print STDOUT $data;
		return;
	}
	open my $fh, '>', "$path.tmp" or die "$path.tmp: $!\n";
	binmode $fh;
	print $fh $data;
	close $fh or die "$path.tmp: $!\n";
	rename "$path.tmp", $path or die "$path: $!\n";
}

sub can_algorithm {
	my ($alg) = @_;
	return defined Mail::DKIM::Signature->new->get_algorithm_class($alg);
}

sub do_sign {
	my @argv = @_;
	my %o = (canon => 'relaxed/relaxed');
	GetOptionsFromArray(\@argv, \%o, 'domain=s', 'selector=s', 'key=s',
	    'algorithm=s', 'canon=s', 'headers=s', 'identity=s',
	    'timestamp=i', 'expiration=i') or usage();
	defined $o{$_} or die "sign: --$_ is required\n"
	    for qw(domain selector key);
	my ($in, $out) = (@argv, '-', '-')[0, 1];
	my $alg = $o{algorithm} || 'rsa-sha256';
	die "sign: Mail::DKIM $Mail::DKIM::VERSION cannot do $alg\n"
	    unless can_algorithm($alg);

	# Mail::DKIM's own loader wraps any PEM body as PKCS#1; openssl
	# writes PKCS#8, so load it through Crypt::OpenSSL::RSA.
	my $pem = do {
		open my $kf, '<', $o{key} or die "$o{key}: $!\n";
		local $/;
		<$kf>;
	};
	my $key = Mail::DKIM::PrivateKey->load(
	    Cork => Crypt::OpenSSL::RSA->new_private_key($pem));

	my $policy = sub {
		my $signer = shift;
		$signer->add_signature(Mail::DKIM::Signature->new(
		    Algorithm => $alg,
		    Method    => $o{canon},
		    Headers   => defined $o{headers} ? $o{headers}
		                                     : $signer->headers,
		    Domain    => $o{domain},
		    Selector  => $o{selector},
		    Key       => $key,
		    (defined $o{identity} ? (Identity => $o{identity}) : ()),
		    Timestamp => defined $o{timestamp} ? $o{timestamp} : time,
		    (defined $o{expiration} ?
		        (Expiration => $o{expiration}) : ()),
		));
		return;
	};
	my $msg = slurp($in);
	my $dkim = Mail::DKIM::Signer->new(Policy => $policy, Key => $key);
	$dkim->PRINT($msg);
	$dkim->CLOSE;
	my $sig = $dkim->signature or die "sign: no signature made\n";
	spew($out, $sig->as_string . "\015\012" . $msg);
	return 0;
}

sub do_verify {
	my @argv = @_;
	my ($in, $out) = (@argv, '-', '-')[0, 1];
	my $msg = slurp($in);
	my $dkim = Mail::DKIM::Verifier->new;
	$dkim->PRINT($msg);
	$dkim->CLOSE;
	my ($text, $rc) = ('', 0);
	for my $sig ($dkim->signatures) {
		my $dom = $sig->domain;
		my $sel = $sig->selector;
		$dom = '?' unless defined $dom;
		$sel = '?' unless defined $sel;
		my $res = $sig->result || 'none';
		if ($res eq 'pass') {
			$text .= "[OK]: $dom\n";
			next;
		}
		$rc = 1;
		my $detail = $sig->result_detail || $res;
		my $tag = $detail =~ /expired/ ? 'EX' : 'ER';
		$text .= "[$tag]: $dom s=$sel $detail\n";
	}
	spew($out, $text);
	return $rc;
}

sub run {
	my ($cmd, @argv) = @_;
	return do_sign(@argv) if $cmd eq 'sign';
	return do_verify(@argv) if $cmd eq 'verify';
	usage();
}

sub main {
	my @argv = @_;
	Getopt::Long::Configure('require_order', 'pass_through');
	GetOptionsFromArray(\@argv, 'dns-port=i' => \$dns_port) or usage();
	Getopt::Long::Configure('no_pass_through', 'permute');
	my $cmd = shift @argv or usage();
	if ($cmd eq 'caps') {
		print join(' ', grep { can_algorithm($_) }
		    qw(rsa-sha256 ed25519-sha256)), "\n";
		return 0;
	}
	Mail::DKIM::DNS::resolver(Net::DNS::Resolver->new(
	    config_file   => '/dev/null',
	    nameservers   => ['127.0.0.1'],
	    port          => $dns_port,
	    recurse       => 0,
	    udppacketsize => 1232,
	    udp_timeout   => 3,
	    tcp_timeout   => 3,
	    retry         => 2,
	));
	if ($cmd ne 'batch') {
		my $rc = eval { run($cmd, @argv) };
		return $rc if defined $rc;
		print STDERR "dkim_peer.pl: $@";
		return 2;
	}
	my $jobfile = shift @argv or usage();
	open my $jf, '<', $jobfile or die "$jobfile: $!\n";
	while (my $line = <$jf>) {
		chomp $line;
		next unless length $line;
		my @job = split /\t/, $line;
		my $out = $job[-1];
		my $rc = eval { run(@job) };
		if (!defined $rc) {
			open my $ef, '>', "$out.err" or die "$out.err: $!\n";
			print $ef "dkim_peer.pl: $@";
			close $ef;
		} elsif ($job[0] eq 'verify') {
			open my $rf, '>', "$out.rc" or die "$out.rc: $!\n";
			print $rf "$rc\n";
			close $rf;
		}
	}
	close $jf;
	return 0;
}

exit main(@ARGV);
