#!/usr/bin/perl
# A second SMSC for the tests, independent of the npm simulator: Net::SMPP (Perl, Debian's
# libnet-smpp-perl, Sampo Kellomaki's implementation) in the SMSC role. It behaves as SMSCs do that
# send everything as data_sm (SMPP 3.4 §4.7): after answering a submit_sm it sends the final
# delivery receipt as a data_sm (esm_class 0x04, receipted_message_id and message_state TLVs, no
# text); after the last part of the first notice, once the hub has answered that part's receipt,
# the handset's reply as a data_sm (esm_class 0, UCS-2 in message_payload).
#
# Usage: netsmpp_smsc.pl SYSTEM_ID PASSWORD REPLY_TEXT
# Prints {"smpp": PORT} first, then one JSON line for every PDU it receives
# ({"pdu": NAME, "seq": N, "status": N, ...the submit's fields}) and for every request it sends
# ({"sent": NAME, "seq": N, "message_id": ID}). Serves one session, then exits.
use strict;
use warnings;
use utf8;
use Encode qw(encode decode);
use JSON::PP;
use Net::SMPP;

$| = 1;
my ($system_id, $password, $reply_text) = @ARGV;
die "usage: netsmpp_smsc.pl SYSTEM_ID PASSWORD REPLY_TEXT\n" unless defined $reply_text;
$reply_text = decode('UTF-8', $reply_text);
my $json = JSON::PP->new->canonical;

my $listener = Net::SMPP->new_listen('127.0.0.1', port => 0, smpp_version => 0x34)
    or die "cannot listen: $!";
print $json->encode({ smpp => $listener->sockport }), "\n";
my $c = $listener->accept or die "accept: $!";
$c->set_version(0x34);
my $next_id = 4000000001;    # decimal ids, as many SMSCs write them
my $replied = 0;
my %reply_after;    # the receipt's data_sm sequence number => the submit the reply answers

sub note { print $json->encode($_[0]), "\n" }

# The fields every data_sm from this SMSC carries (mandatory part, §4.7.1).
sub data_sm_from {
    my ($from, $to, %rest) = @_;
    return $c->data_sm(
        async => 1, service_type => '', source_addr_ton => 0, source_addr_npi => 1,
        source_addr => $from, dest_addr_ton => 0, dest_addr_npi => 0, destination_addr => $to,
        registered_delivery => 0, %rest,
    );
}

sub receipt_and_reply {
    my ($submit, $id) = @_;
    my $seq = data_sm_from(
        $submit->{destination_addr}, $submit->{source_addr},
        esm_class => 0x04, data_coding => 0,
        receipted_message_id => "$id\0", message_state => pack('C', 2),
    );
    note({ sent => 'data_sm', seq => $seq, message_id => "$id" });
    # A concatenated part (UDHI, §5.2.12) says which it is: IE 0x00, reference, total, number.
    if ($submit->{esm_class} & 0x40) {
        my (undef, $iei, undef, undef, $total, $number) = unpack 'C6', $submit->{short_message};
        return if $iei == 0x00 && $number < $total;
    }
    # A person reads before answering: the reply goes once the hub has answered the receipt, which
    # it does only after recording it, and so after recording the notice as sent (a fixed pause
    # would be too short for a busy disk).
    $reply_after{$seq} = $submit unless $replied++;
}

sub reply {
    my ($submit) = @_;
    my $seq = data_sm_from(
        $submit->{destination_addr}, $submit->{source_addr},
        esm_class => 0x00, data_coding => 0x08,
        message_payload => encode('UTF-16BE', $reply_text),
    );
    note({ sent => 'data_sm', seq => $seq, reply => 1 });
}

while (my $pdu = $c->read_pdu()) {
    my $name = Net::SMPP::pdu_tab->{ $pdu->{cmd} }{cmd} // sprintf('0x%08x', $pdu->{cmd});
    my %seen = (pdu => $name, seq => $pdu->{seq}, status => $pdu->{status});
    for my $f (qw(esm_class registered_delivery data_coding destination_addr)) {
        $seen{$f} = $pdu->{$f} if defined $pdu->{$f} && $name eq 'submit_sm';
    }
    note(\%seen);
    if ($name eq 'bind_transceiver') {
        my $ok = $pdu->{system_id} eq $system_id && $pdu->{password} eq $password;
        $c->bind_transceiver_resp(system_id => 'NETSMPP', seq => $pdu->{seq}, status => $ok ? 0 : 0x0E);
    } elsif ($name eq 'enquire_link') {
        $c->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($name eq 'submit_sm') {
        my $id = $next_id++;
        $c->submit_sm_resp(message_id => "$id", seq => $pdu->{seq});
        receipt_and_reply($pdu, $id);
    } elsif ($name eq 'data_sm_resp' && (my $submit = delete $reply_after{ $pdu->{seq} })) {
        reply($submit);
    } elsif ($name eq 'unbind') {
        $c->unbind_resp(seq => $pdu->{seq});
        last;
    }
}
