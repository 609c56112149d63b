using System.Net;
using Sluice.Backends;
using Sluice.Checks;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Logging;
using Sluice.Protocols.Dns;

namespace Sluice.Resolvers;

/// <summary>
/// A server whose address comes from the name servers: named by a host name in the configuration, or given a target
/// by an SRV record. While it has a host name and no additional address of an SRV record, it asks its resolution for
/// addresses as HAProxy's servers do (snr_resolution_cb): it keeps the record it took while the answers hold it,
/// otherwise takes the best by HAProxy's score (the preferred family 8, a `resolve-net` network 4, an address no
/// other server of the backend took 2, its current address 1; an address taken by another server is passed over
/// without `allow-dup-ip`), and goes into resolution maintenance when no address is left for it or when failures
/// outlast their `hold`.
/// </summary>
internal sealed class ResolvedServer : IResolutionRequester
{
    private readonly ServerResolutions _owner;

    public ResolvedServer(ServerResolutions owner, ServerState server, BackendState backend, SrvRequest? request)
    {
        _owner = owner;
        Server = server;
        Backend = backend;
        Request = request;

        // A server that starts without an address (`init-addr none`, a name the system could not resolve, an SRV
        // label) waits in maintenance for its first valid answer, as HAProxy's resolution maintenance.
        server.InResolutionMaint = IsUnset && server.AdminState == ServerAdminState.Maint;
    }

    public ServerState Server { get; }
    public BackendState Backend { get; }
    /// <summary>The SRV request that hands this server its targets; null for a server named in the configuration.</summary>
    public SrvRequest? Request { get; }
    /// <summary>The SRV record this server was given (HAProxy's srv_rec_item); null while it waits for one.</summary>
    public AnswerRecord? ServiceRecord { get; set; }
    /// <summary>The address record this server took (HAProxy's ip_rec_item); null for none.</summary>
    public AnswerRecord? TakenRecord { get; set; }
    /// <summary>The resolution of the server's host name it listens to; null when it has none (or an SRV record's additional address).</summary>
    public Resolution? Resolution { get; set; }
    /// <summary>The host name the server is resolved by; for an SRV server, its record's target, null while it has none.</summary>
    public string? HostName => (Server.Address as InetServerAddress)?.Fqdn;

    public bool IsUnset => Server.Address is InetServerAddress inet && (inet.Address.Equals(IPAddress.Any) || inet.Address.Equals(IPAddress.IPv6Any));

    private string Label => $"{Backend.Name}/{Server.Name}";

    public void OnValid(Resolution resolution, NameserverConfig? nameserver)
    {
        var (outcome, chosen) = ChooseAddress(resolution);
        if (outcome == AddressChoice.Changed)
        {
            if (nameserver is not null)
            {
                resolution.Counters[NameserverQuery.IndexOf(resolution.Resolvers, nameserver.Address)].Updated();
            }

            UpdateAddress(chosen!, nameserver is null ? "DNS cache" : $"{resolution.Resolvers.Name}/{nameserver.Name}");
        }

        if (outcome == AddressChoice.None)
        {
            if (!Server.InResolutionMaint && Server.AdminState != ServerAdminState.Maint)
            {
                EnterMaintenance("No IP for server ");
            }

            return;
        }

        if (Server.InResolutionMaint)
        {
            LeaveMaintenance();
            _owner.Write(Backend, DiagnosticSeverity.Warning, $"Server {Label} administratively READY thanks to valid DNS answer.", LogSender.LevelNotice);
        }
    }

    public bool OnFailure(Resolution resolution)
    {
        if (Server.InResolutionMaint || Server.AdminState == ServerAdminState.Maint || !resolution.HoldExpired(Environment.TickCount64))
        {
            return true;
        }

        EnterMaintenance(resolution.Status switch
        {
            ResolutionStatus.NxDomain => "DNS NX status",
            ResolutionStatus.Refused => "DNS refused status",
            ResolutionStatus.Timeout => "DNS timeout status",
            _ => "unspecified DNS error",
        });
        LetGoOfRecord();
        return false;
    }

    /// <summary>HAProxy's srv_update_addr: the new address, with its line when it differs.</summary>
    public void UpdateAddress(IPAddress address, string updater)
    {
        if (Server.Address is not InetServerAddress current || current.Address.Equals(address))
        {
            return;
        }

        var before = IsUnset ? "(none)" : current.Address.ToString();
        Server.Address = current with { Address = address, Text = Config.Parsing.AddressParser.FormatEndPoint(address, current.Port) };
        _owner.Write(Backend, DiagnosticSeverity.Warning, $"{Label} changed its IP from {before} to {address} by {updater}.", LogSender.LevelNotice);
    }

    /// <summary>Resolution maintenance (HAProxy's RMAINT) for <paramref name="cause"/>; the address is forgotten, its port kept.</summary>
    public void EnterMaintenance(string cause)
    {
        var wasUsable = Server.IsUsable;
        Server.InResolutionMaint = true;
        Server.AdminState = ServerAdminState.Maint;
        _owner.Write(Backend, DiagnosticSeverity.Warning, CheckLog.GoingDownForMaintenance(Server, Backend, cause), LogSender.LevelAlert);
        if (wasUsable)
        {
            CheckLog.WriteIfNoServerLeft(Backend, _owner.Log);
        }

        if (Server.Address is InetServerAddress current && !IsUnset)
        {
            var none = current.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
            Server.Address = current with { Address = none, Text = Config.Parsing.AddressParser.FormatEndPoint(none, current.Port) };
        }
    }

    /// <summary>Out of resolution maintenance, with HAProxy's line naming the host name.</summary>
    public void LeaveMaintenance()
    {
        Server.InResolutionMaint = false;
        _owner.Write(Backend, DiagnosticSeverity.Warning, $"Server {Label} ('{HostName}') is UP/READY (resolves again).", LogSender.LevelNotice);
        Server.AdminState = ServerAdminState.Ready;
    }

    public void LetGoOfRecord()
    {
        TakenRecord?.Servers.Remove(this);
        TakenRecord = null;
    }

    private enum AddressChoice
    {
        Kept,
        Changed,
        None,
    }

    /// <summary>HAProxy's resolv_get_ip_from_response, with this server as the owner.</summary>
    private (AddressChoice Outcome, IPAddress? Address) ChooseAddress(Resolution resolution)
    {
        if (TakenRecord is not null)
        {
            return (AddressChoice.Kept, null);
        }

        var config = Server.Config;
        var preferred = config.ResolvePreferIpv4 ? DnsRecordType.A : DnsRecordType.Aaaa;
        var current = IsUnset ? null : (Server.Address as InetServerAddress)?.Address;
        AnswerRecord? chosen = null;
        var chosenIsCurrent = false;
        var best = -1;
        foreach (var record in resolution.Records.All)
        {
            if (record.Type is not (DnsRecordType.A or DnsRecordType.Aaaa))
            {
                continue;
            }

            var address = record.Address!;
            var score = record.Type == preferred ? 8 : 0;
            foreach (var (network, prefix) in config.ResolveNets)
            {
                if (address.AddressFamily == network.AddressFamily && Rules.Acls.PatternSet.InNetwork(address.GetAddressBytes(), network.GetAddressBytes(), prefix))
                {
                    score += 4;
                    break;
                }
            }

            if (record.Servers.Exists(s => s != this && s.Backend == Backend))
            {
                if (!config.AllowDuplicateIp)
                {
                    continue;
                }
            }
            else
            {
                score += 2;
            }

            var isCurrent = address.Equals(current);
            score += isCurrent ? 1 : 0;
            if (score > best)
            {
                chosen = record;
                chosenIsCurrent = isCurrent;
                if (score == 15)
                {
                    Take(record);
                    return (AddressChoice.Kept, null);
                }

                best = score;
            }
        }

        if (chosen is null)
        {
            return (AddressChoice.None, null);
        }

        Take(chosen);
        return chosenIsCurrent ? (AddressChoice.Kept, null) : (AddressChoice.Changed, chosen.Address);
    }

    private void Take(AnswerRecord record)
    {
        LetGoOfRecord();
        TakenRecord = record;
        record.Servers.Add(this);
    }
}
