using System.Net;
using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// `balance roundrobin` as HAProxy's fast weighted round robin (lb_fwrr), so that the sequence of servers is
/// HAProxy's, also across servers going down, coming back and changing weight. Each group (active servers, backup
/// servers) has a window of positions as wide as its total weight: servers wait in the "current" tree by the
/// position of their next turn, in the "next" tree for the following window, or in the "init" tree (heaviest
/// first) until their first turn of a window. A pick takes the first server whose turn has come, moves it on by
/// the window's weight divided by its own (the remainder carried), and skips servers at their `maxconn`.
/// </summary>
/// <remarks>
/// HAProxy calls its algorithm on each state or weight change of a server; here the changes are found when the
/// backend's state version moved, comparing each server with what the balancer last knew of it, in server order.
/// Everything runs under one lock, as HAProxy's lbprm lock.
/// </remarks>
internal sealed class FwrrBalancer : IBalancer
{
    // HAProxy's SRV_UWGHT_RANGE and SRV_EWGHT_MAX.
    private const int UserWeightRange = 256;
    private const int ScaledWeightMax = UserWeightRange * ServerState.WeightScale;

    private readonly BackendState _backend;
    private readonly Member[] _members;
    private readonly Group _active = new();
    private readonly Group _backup = new();
    private readonly Lock _lock = new();
    private readonly List<Member> _full = [];
    private int _version;
    private int _activeCount;
    private int _backupCount;
    private Member? _firstBackup;

    public FwrrBalancer(BackendState backend)
    {
        _backend = backend;
        _members = [.. backend.Servers.Select(s => new Member(s, s.IsBackup ? _backup : _active))];
        _version = backend.StateVersion;
        var totals = new int[2];
        foreach (var member in _members)
        {
            member.Usable = member.Server.IsUsable;
            member.Weight = member.Server.ScaledWeight;
            if (member.Usable)
            {
                totals[member.Group == _backup ? 1 : 0] += member.Weight;
                if (member.Group == _backup)
                {
                    _firstBackup ??= backend.Config.AllBackups ? null : member;
                    _backupCount++;
                }
                else
                {
                    _activeCount++;
                }
            }
        }

        _active.Start(totals[0]);
        _backup.Start(totals[1]);
        foreach (var member in _members)
        {
            if (member.Usable)
            {
                QueueByWeight(member.Group.Init, member, member.Weight);
            }
        }
    }

    public ServerState? Pick(IPAddress? clientAddress, ServerState? avoid)
    {
        lock (_lock)
        {
            var version = _backend.StateVersion;
            if (version != _version)
            {
                _version = version;
                foreach (var member in _members)
                {
                    Update(member);
                }
            }

            // A server taken by another thread between the check and the slot is treated as full: try again.
            for (var attempt = 0; attempt <= _members.Length; attempt++)
            {
                var chosen = Next(avoid);
                if (chosen is null || chosen.TryAcquire())
                {
                    return chosen;
                }
            }

            return null;
        }
    }

    /// <summary>HAProxy's fwrr_get_next_server.</summary>
    private ServerState? Next(ServerState? avoid)
    {
        Group group;
        if (_activeCount > 0)
        {
            group = _active;
        }
        else if (_firstBackup is not null)
        {
            return _firstBackup.Server;
        }
        else if (_backupCount > 0)
        {
            group = _backup;
        }
        else
        {
            return null;
        }

        var switched = false;
        Member? avoided = null;
        Member? chosen;
        _full.Clear();
        while (true)
        {
            if (group.CurrentWeight == 0)
            {
                group.CurrentPosition = group.CurrentWeight = group.NextWeight;
            }

            while (true)
            {
                chosen = FromGroup(group);
                if (chosen is not null)
                {
                    break;
                }

                if (switched)
                {
                    chosen = avoided;
                    break;
                }

                switched = true;
                group.SwitchTrees();
            }

            if (chosen is null || chosen == avoided)
            {
                break;
            }

            UpdatePosition(group, chosen);
            chosen.Tree?.Remove(chosen);
            group.CurrentPosition++;
            if (chosen.Server.HasFreeSlot)
            {
                if (chosen.Server != avoid || avoided is not null)
                {
                    break;
                }

                avoided = chosen;
            }

            _full.Add(chosen);
        }

        if (chosen is not null)
        {
            Queue(chosen);
        }

        // The servers passed over go back as if they had had their turn; after a switch, by weight into "init".
        for (var i = _full.Count - 1; i >= 0; i--)
        {
            var passed = _full[i];
            if (passed == chosen)
            {
                continue;
            }

            if (switched)
            {
                QueueByWeight(group.Init, passed, passed.Weight);
            }
            else
            {
                Queue(passed);
            }
        }

        return chosen?.Server;
    }

    /// <summary>The first server of "current" whose turn has come, else the heaviest of "init", else the first of "current" anyway.</summary>
    private static Member? FromGroup(Group group)
    {
        var first = group.Current.First;
        if (first is not null && first.Weight != 0 && first.NextPosition <= group.CurrentPosition)
        {
            return first;
        }

        if (group.Init.First is { Weight: not 0 } fresh)
        {
            fresh.NextPosition = fresh.Remainder = 0;
            return fresh;
        }

        return first;
    }

    private static void UpdatePosition(Group group, Member member)
    {
        var weight = member.Weight;
        if (weight == 0)
        {
            return;
        }

        if (member.NextPosition == 0)
        {
            member.NextPosition = group.CurrentPosition;
        }

        member.LastPosition = member.NextPosition;
        member.NextPosition += group.NextWeight / weight;
        member.Remainder += group.NextWeight % weight;
        if (member.Remainder >= weight)
        {
            member.Remainder -= weight;
            member.NextPosition++;
        }
    }

    /// <summary>HAProxy's fwrr_update_server_weight (and the status changes it leads to) for a server whose state or weight moved.</summary>
    private void Update(Member member)
    {
        var usable = member.Server.IsUsable;
        var weight = member.Server.ScaledWeight;
        if (usable == member.Usable && weight == member.Weight)
        {
            return;
        }

        var group = member.Group;
        if (!member.Usable && usable)
        {
            group.NextWeight += weight;
            CountUp(member);
            Prepare(member);
            member.NextPosition = group.CurrentPosition + ((group.NextWeight + group.CurrentWeight - group.CurrentPosition) / weight);
            Commit(member, usable, weight);
            Queue(member);
            return;
        }

        if (member.Usable && !usable)
        {
            group.NextWeight -= member.Weight;
            CountDown(member);
            member.Tree?.Remove(member);
            member.Tree = null;
            Commit(member, usable, weight);
            return;
        }

        if (!usable)
        {
            Commit(member, usable, weight);
            return;
        }

        group.NextWeight = group.NextWeight - member.Weight + weight;
        if (member.Tree == group.Init)
        {
            member.Tree.Remove(member);
            Commit(member, usable, weight);
            QueueByWeight(group.Init, member, weight);
            return;
        }

        Prepare(member);
        if (weight > 0)
        {
            var previousNext = member.NextPosition;
            var step = group.NextWeight / weight;
            member.NextPosition = Math.Min(member.LastPosition + step, previousNext);
            member.Remainder = 0;
            if (member.NextPosition < group.CurrentPosition + 2)
            {
                member.NextPosition = group.CurrentPosition + step;
            }
        }
        else
        {
            member.NextPosition = group.CurrentPosition + group.CurrentWeight;
        }

        member.Tree?.Remove(member);
        Commit(member, usable, weight);
        Queue(member);
    }

    private static void Commit(Member member, bool usable, int weight)
    {
        member.Usable = usable;
        member.Weight = weight;
    }

    private void CountUp(Member member)
    {
        if (member.Group == _active)
        {
            _activeCount++;
            return;
        }

        _backupCount++;
        // The first backup in server order serves alone, unless `option allbackups`.
        if (!_backend.Config.AllBackups && (_firstBackup is null || Array.IndexOf(_members, member) < Array.IndexOf(_members, _firstBackup)))
        {
            _firstBackup = member;
        }
    }

    private void CountDown(Member member)
    {
        if (member.Group == _active)
        {
            _activeCount--;
            return;
        }

        _backupCount--;
        if (member == _firstBackup)
        {
            _firstBackup = null;
            for (var i = Array.IndexOf(_members, member) + 1; i < _members.Length; i++)
            {
                if (_members[i].Group == _backup && _members[i].Server.IsUsable)
                {
                    _firstBackup = _members[i];
                    break;
                }
            }
        }
    }

    /// <summary>HAProxy's fwrr_get_srv: the position a server takes out of the tree it waited in.</summary>
    private static void Prepare(Member member)
    {
        var group = member.Group;
        if (member.Tree == group.Init)
        {
            member.NextPosition = member.Remainder = 0;
        }
        else if (member.Tree == group.NextTree)
        {
            member.NextPosition += group.CurrentWeight;
        }
        else if (member.Tree is null)
        {
            member.NextPosition = group.CurrentPosition;
        }
    }

    /// <summary>HAProxy's fwrr_queue_srv: into "current" by its next position, or into "next" when that is past this window.</summary>
    private static void Queue(Member member)
    {
        var group = member.Group;
        if (!member.Usable)
        {
            member.Tree = null;
        }
        else if (member.Weight <= 0 || member.NextPosition >= 2 * group.CurrentWeight || member.NextPosition >= group.CurrentWeight + group.NextWeight)
        {
            member.NextPosition -= group.CurrentWeight;
            QueueByWeight(group.NextTree, member, member.Weight);
        }
        else
        {
            var key = unchecked((uint)(UserWeightRange * member.NextPosition) + ((uint)(ScaledWeightMax + member.Remainder - member.Weight) / ServerState.WeightScale));
            group.Current.Insert(member, key);
        }
    }

    /// <summary>Heaviest first; equal weights in the order they came.</summary>
    private static void QueueByWeight(Tree tree, Member member, int weight) =>
        tree.Insert(member, (uint)(ScaledWeightMax - weight));

    private sealed class Member(ServerState server, Group group)
    {
        public ServerState Server { get; } = server;
        public Group Group { get; } = group;
        /// <summary>The state and scaled weight the balancer last took into account (HAProxy's cur_state, cur_eweight).</summary>
        public bool Usable { get; set; }
        public int Weight { get; set; }
        public int NextPosition { get; set; }
        public int LastPosition { get; set; }
        public int Remainder { get; set; }
        /// <summary>The tree the server is in, or was last taken from (HAProxy's lb_tree); null when down.</summary>
        public Tree? Tree { get; set; }
        public uint Key { get; set; }
    }

    private sealed class Group
    {
        private Tree _init = new();
        private Tree _next = new();

        public Tree Current { get; } = new();
        public Tree Init => _init;
        public Tree NextTree => _next;
        public int CurrentPosition { get; set; }
        public int CurrentWeight { get; set; }
        public int NextWeight { get; set; }

        public void Start(int totalWeight) => CurrentPosition = CurrentWeight = NextWeight = totalWeight;

        public void SwitchTrees()
        {
            (_init, _next) = (_next, _init);
            CurrentWeight = NextWeight;
            CurrentPosition = CurrentWeight;
        }
    }

    /// <summary>An ordered set of servers by key, equal keys in arrival order (an eb32 tree with duplicates).</summary>
    private sealed class Tree
    {
        private readonly List<Member> _members = [];

        public Member? First => _members.Count > 0 ? _members[0] : null;

        public void Insert(Member member, uint key)
        {
            member.Key = key;
            member.Tree = this;
            var at = _members.Count;
            while (at > 0 && _members[at - 1].Key > key)
            {
                at--;
            }

            _members.Insert(at, member);
        }

        public void Remove(Member member) => _members.Remove(member);
    }
}
