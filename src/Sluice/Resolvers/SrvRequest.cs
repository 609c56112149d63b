using System.Globalization;
using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Logging;
using Sluice.Protocols.Dns;

namespace Sluice.Resolvers;

/// <summary>
/// The servers of one backend that take their targets from one SRV label (HAProxy's resolv_srvrq): `server-template`
/// servers or `server` lines naming `_service._proto.name`. Each SRV record of the answers goes to the server that
/// already has it, else to the first free one (configuration order, emptied servers last); the server takes the
/// record's target as host name, its port, its weight (`(weight + 255) / 256`, unless `resolve-opts
/// ignore-weight`) and its additional address, or resolves the target itself when the answer gives none. A record
/// that is no longer answered, or failures past their `hold`, empty the server again: resolution maintenance,
/// without host name, address or port.
/// </summary>
internal sealed class SrvRequest(ServerResolutions owner, BackendState backend, string label) : IResolutionRequester
{
    private readonly List<ResolvedServer> _free = [];

    public BackendState Backend { get; } = backend;
    public string Label { get; } = label;

    public void Add(ResolvedServer server) => _free.Add(server);

    public void OnValid(Resolution resolution, NameserverConfig? nameserver)
    {
        // The records were handed out while the answer was judged.
    }

    public bool OnFailure(Resolution resolution)
    {
        if (!resolution.HoldExpired(Environment.TickCount64))
        {
            return true;
        }

        foreach (var record in resolution.Records.All)
        {
            if (record.Type == DnsRecordType.Srv)
            {
                foreach (var server in record.Servers.ToArray())
                {
                    if (server.Request == this)
                    {
                        Empty(server);
                    }
                }
            }
        }

        return false;
    }

    /// <summary>HAProxy's SRV record processing in resolv_check_response, for this request.</summary>
    public void Assign(AnswerRecord record)
    {
        var server = record.Servers.Find(s => s.Request == this);
        if (server is null)
        {
            if (_free.Count == 0)
            {
                return;
            }

            server = _free[0];
            _free.RemoveAt(0);
        }

        var resolvesItself = true;
        if (record.Additional is { } additional)
        {
            server.UpdateAddress(additional.Address!, "DNS additional record");
            resolvesItself = false;
            owner.Unlink(server);
        }

        if (server.HostName is null)
        {
            var target = record.Service.Target.ToLowerInvariant();
            var current = (InetServerAddress)server.Server.Address;
            server.Server.Address = current with { Fqdn = target };
            server.Server.FqdnChanged = true;
            Backend.Log?.EmitText(LogSender.LevelNotice, $"{Backend.Name}/{server.Server.Name} changed its FQDN from (null) to {target} by 'SRV record'");
        }

        if (server.ServiceRecord is null)
        {
            server.ServiceRecord = record;
            record.Servers.Add(server);
        }

        if (resolvesItself && server.Resolution is null)
        {
            owner.Link(server, server.HostName!, server.Server.Config.ResolvePreferIpv4 ? DnsRecordType.A : DnsRecordType.Aaaa);
        }

        if (!server.IsUnset && server.Server.InResolutionMaint)
        {
            server.LeaveMaintenance();
        }

        var address = (InetServerAddress)server.Server.Address;
        if (address.Port != record.Service.Port)
        {
            server.Server.Address = address with { Port = record.Service.Port, Text = Config.Parsing.AddressParser.FormatEndPoint(address.Address, record.Service.Port) };
        }

        if (!server.Server.Config.IgnoreSrvWeight)
        {
            // A refusal (a static algorithm) leaves the weight as it is, as HAProxy ignores it here.
            WeightChange.Apply(server.Server, ((record.Service.Weight + 255) / 256).ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>HAProxy's resolv_srvrq_cleanup_srv: the server leaves its record and waits, empty, for another.</summary>
    public void Empty(ResolvedServer server)
    {
        owner.Unlink(server);
        if (!server.Server.InResolutionMaint)
        {
            server.EnterMaintenance("entry removed from SRV record");
        }

        var current = (InetServerAddress)server.Server.Address;
        server.Server.Address = current with { Fqdn = null, Address = System.Net.IPAddress.Any, Port = 0, Text = "0.0.0.0:0" };
        server.ServiceRecord?.Servers.Remove(server);
        server.ServiceRecord = null;
        _free.Add(server);
    }
}
