namespace Sluice.Config.Keywords;

/// <summary>Finds the known keyword nearest to a misspelt one, for "did you mean ... maybe ?".</summary>
internal static class KeywordSuggestions
{
    /// <summary>
    /// Returns the candidate with the smallest edit distance when it is close enough to be a plausible typo
    /// (at most two edits, or a third of the word for long words, and fewer edits than the word has letters), or null.
    /// </summary>
    public static string? Nearest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(word, candidate);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }

        var allowed = Math.Max(2, Math.Max(word.Length, best?.Length ?? 0) / 3);
        return bestDistance <= allowed && bestDistance < word.Length ? best : null;
    }

    public static string Suffix(string word, IEnumerable<string> candidates)
    {
        var nearest = Nearest(word, candidates);
        return nearest is null ? string.Empty : $"; did you mean '{nearest}' maybe ?";
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
