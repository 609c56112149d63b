using System.Net;
using Sluice.Backends;
using Sluice.Checks;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Logging;

namespace Sluice.Resolvers;

/// <summary>
/// The servers of `resolvers NAME` named by a host name: each is resolved every `timeout resolve` by the section's
/// name servers. A valid answer that no longer holds the server's address gives it another one (of `resolve-net`
/// first, in order, else the first of the answer), with HAProxy's "changed its IP" line; a server waiting for its
/// first address, or taken out by failures, is put back at once. Failures alone for longer than the `hold` of
/// their kind since the last valid answer put the server in maintenance without an address, as HAProxy's
/// resolution maintenance.
/// </summary>
#pragma warning disable CA1001 // The token outlives Stop for the loops still ending; nothing holds a wait handle.
internal sealed class ServerResolutions
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<ResolversConfig, NameserverCounters[]> _counters = new(ReferenceEqualityComparer.Instance);

    private ServerResolutions()
    {
    }

    /// <summary>The counters of each name server of <paramref name="resolvers"/>; null when no server uses the section.</summary>
    public IReadOnlyList<NameserverCounters>? CountersOf(ResolversConfig resolvers) =>
        _counters.TryGetValue(resolvers, out var counters) ? counters : null;

    /// <returns>Null when no server of <paramref name="backends"/> is resolved at run time.</returns>
    public static ServerResolutions? Start(IEnumerable<BackendState> backends, TextWriter log)
    {
        ServerResolutions? started = null;
        foreach (var backend in backends)
        {
            foreach (var server in backend.Servers)
            {
                if (server.Config is { Resolvers: { Nameservers.Count: > 0 } resolvers, HostName: { } name })
                {
                    started ??= new ServerResolutions();
                    var token = started._stop.Token;
                    if (!started._counters.TryGetValue(resolvers, out var counters))
                    {
                        counters = [.. resolvers.Nameservers.Select(_ => new NameserverCounters())];
                        started._counters[resolvers] = counters;
                    }

                    _ = Task.Run(() => new Resolution(server, backend, resolvers, counters, name, log).RunAsync(token), token);
                }
            }
        }

        return started;
    }

    public void Stop() => _stop.Cancel();

    private sealed class Resolution(ServerState server, BackendState backend, ResolversConfig resolvers, NameserverCounters[] counters, string name, TextWriter log)
    {
        private long _lastValidMs = Environment.TickCount64;

        // A server that starts without an address (`init-addr none`, or a name the system could not resolve) waits
        // in maintenance for its first valid answer, as HAProxy's resolution maintenance.
        private bool _outByResolution = server.InResolutionMaint = IsUnset(server.Address) && server.AdminState == ServerAdminState.Maint;

        public async Task RunAsync(CancellationToken stopping)
        {
            try
            {
                while (!stopping.IsCancellationRequested)
                {
                    var result = await NameserverQuery.ResolveAsync(resolvers, counters, name, server.Config.ResolvePreferIpv4, stopping).ConfigureAwait(false);
                    if (result.Status == ResolutionStatus.Valid)
                    {
                        Apply(result);
                    }
                    else
                    {
                        Fail(result.Status);
                    }

                    await Task.Delay(resolvers.Resolve, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // The configuration stopped or was replaced.
            }
        }

        private void Apply(ResolutionResult result)
        {
            _lastValidMs = Environment.TickCount64;
            if (server.Address is InetServerAddress current)
            {
                var chosen = Choose(result.Addresses, current.Address);
                if (!chosen.Equals(current.Address))
                {
                    var before = IsUnset(current) ? "(none)" : current.Address.ToString();
                    var message = $"{backend.Name}/{server.Name} changed its IP from {before} to {chosen} by {resolvers.Name}/{result.Nameserver!.Name}.";
                    server.Address = current with { Address = chosen, Text = Config.Parsing.AddressParser.FormatEndPoint(chosen, current.Port) };
                    counters[NameserverQuery.IndexOf(resolvers, result.Nameserver!.Address)].Updated();
                    CheckLog.Write(backend, log, DiagnosticSeverity.Warning, message, LogSender.LevelNotice);
                }
            }

            if (_outByResolution)
            {
                _outByResolution = false;
                server.InResolutionMaint = false;
                CheckLog.Write(backend, log, DiagnosticSeverity.Warning, $"Server {backend.Name}/{server.Name} ('{name}') is UP/READY (resolves again).", LogSender.LevelNotice);
                CheckLog.Write(backend, log, DiagnosticSeverity.Warning, $"Server {backend.Name}/{server.Name} administratively READY thanks to valid DNS answer.", LogSender.LevelNotice);
                server.AdminState = ServerAdminState.Ready;
            }
        }

        private void Fail(ResolutionStatus status)
        {
            var (hold, reason) = status switch
            {
                ResolutionStatus.NxDomain => (resolvers.HoldNx, "DNS NX status"),
                ResolutionStatus.Refused => (resolvers.HoldRefused, "DNS refused status"),
                ResolutionStatus.Timeout => (resolvers.HoldTimeout, "DNS timeout status"),
                _ => (resolvers.HoldOther, "unspecified DNS error"),
            };
            if (_outByResolution || Environment.TickCount64 - _lastValidMs < (long)hold.TotalMilliseconds || server.AdminState == ServerAdminState.Maint)
            {
                return;
            }

            _outByResolution = true;
            server.InResolutionMaint = true;
            server.AdminState = ServerAdminState.Maint;
            CheckLog.Write(backend, log, DiagnosticSeverity.Warning, CheckLog.GoingDownForMaintenance(server, backend, reason), LogSender.LevelAlert);

            // The address is forgotten with the name, as HAProxy does: the next valid answer sets it from "(none)".
            if (server.Address is InetServerAddress current)
            {
                var none = current.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
                server.Address = current with { Address = none, Text = Config.Parsing.AddressParser.FormatEndPoint(none, current.Port) };
            }
        }

        /// <summary>The address kept or taken: the current one while the answer still has it, else one of `resolve-net` in its order, else the first.</summary>
        private IPAddress Choose(IReadOnlyList<IPAddress> addresses, IPAddress current)
        {
            if (addresses.Contains(current))
            {
                return current;
            }

            foreach (var (network, prefix) in server.Config.ResolveNets)
            {
                foreach (var address in addresses)
                {
                    if (address.AddressFamily == network.AddressFamily && Rules.Acls.PatternSet.InNetwork(address.GetAddressBytes(), network.GetAddressBytes(), prefix))
                    {
                        return address;
                    }
                }
            }

            return addresses[0];
        }

        private static bool IsUnset(ServerAddress address) =>
            address is InetServerAddress inet && (inet.Address.Equals(IPAddress.Any) || inet.Address.Equals(IPAddress.IPv6Any));
    }
}
#pragma warning restore CA1001
