using System.Net;
using Sluice.Config.Model;
using Sluice.Protocols.Dns;

namespace Sluice.Resolvers;

/// <summary>
/// A `do-resolve` rule's wait for one answer (HAProxy's stream requester): the best address of the records by
/// HAProxy's score without an owner (the preferred family first; first in record order), or nothing on failure.
/// </summary>
internal sealed class OneShotRequest(bool preferIpv4) : IResolutionRequester
{
    private readonly TaskCompletionSource<IPAddress?> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<IPAddress?> Address => _address.Task;

    public void OnValid(Resolution resolution, NameserverConfig? nameserver)
    {
        var preferred = preferIpv4 ? DnsRecordType.A : DnsRecordType.Aaaa;
        AnswerRecord? best = null;
        foreach (var record in resolution.Records.All)
        {
            if (record.Type is DnsRecordType.A or DnsRecordType.Aaaa && (best is null || (record.Type == preferred && best.Type != preferred)))
            {
                best = record;
            }
        }

        _address.TrySetResult(best?.Address);
    }

    public bool OnFailure(Resolution resolution)
    {
        _address.TrySetResult(null);
        return false;
    }
}
