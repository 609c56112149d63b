using Sluice.Config.Sections;

namespace Sluice.Tests.Config;

/// <summary>docs/keywords.md lists every keyword the parser implements, as "yes" or "warning".</summary>
public class KeywordsDocTests
{
    private static readonly string[] Rows = File.ReadAllLines(FindDoc())
        .Where(l => l.StartsWith("| ", StringComparison.Ordinal))
        .ToArray();

    public static IEnumerable<object[]> Implemented()
    {
        // A keyword of both tables (maxconn, log, ...) is one case.
        foreach (var name in GlobalKeywordTable.Keywords.Keys.Union(ProxyKeywordTable.Keywords.Keys))
        {
            yield return [name];
        }

        foreach (var name in ProxyKeywordTable.Options.Keys)
        {
            yield return [$"option {name}"];
        }
    }

    [Theory]
    [MemberData(nameof(Implemented))]
    public void KeywordsDoc_ImplementedKeyword_ListedAsYesOrWarning(string keyword)
    {
        var row = Rows.FirstOrDefault(r => FirstCell(r).Contains($"`{keyword}`", StringComparison.Ordinal)
            || (keyword.StartsWith("option ", StringComparison.Ordinal) && FirstCell(r).StartsWith("`option ", StringComparison.Ordinal) && FirstCell(r).Contains(keyword["option ".Length..], StringComparison.Ordinal)));
        Assert.True(row is not null, $"docs/keywords.md has no row for '{keyword}'");
        var state = row!.Split('|')[2].Trim();
        Assert.Contains(state, new[] { "yes", "warning" });
    }

    [Fact]
    public void KeywordsDoc_EveryTimeout_Listed()
    {
        foreach (var name in ProxyKeywordTable.Timeouts.Keys)
        {
            Assert.Contains(Rows, r => r.StartsWith("| `timeout", StringComparison.Ordinal) && r.Contains(name, StringComparison.Ordinal));
        }
    }

    private static string FirstCell(string row) => row.Split('|')[1].Trim();

    private static string FindDoc()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sluice.slnx")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("repository root not found"), "docs", "keywords.md");
    }
}
