using Sluice.Protocols.Hpack;
using Sluice.TestKit.Hpack;
using static Sluice.Protocols.Tests.Hpack.HpackTestSupport;

namespace Sluice.Protocols.Tests.Hpack;

public class HpackStaticTableTests
{
    [Fact]
    public void GetNameAndValue_EveryEntry_MatchesTestSideTable()
    {
        Assert.Equal(HpackStaticTable.Count, SimpleHpackTable.Static.Length);
        for (int index = 1; index <= HpackStaticTable.Count; index++)
        {
            Assert.Equal(SimpleHpackTable.Static[index - 1].Name, System.Text.Encoding.Latin1.GetString(HpackStaticTable.GetName(index)));
            Assert.Equal(SimpleHpackTable.Static[index - 1].Value, System.Text.Encoding.Latin1.GetString(HpackStaticTable.GetValue(index)));
        }
    }

    [Fact]
    public void Find_EveryEntry_ExactIndexAndFirstNameIndex()
    {
        for (int index = 1; index <= HpackStaticTable.Count; index++)
        {
            TestHeader entry = SimpleHpackTable.Static[index - 1];
            int firstWithName = Array.FindIndex(SimpleHpackTable.Static, h => h.Name == entry.Name) + 1;
            Assert.Equal(index, HpackStaticTable.Find(Latin1(entry.Name), Latin1(entry.Value), out int nameIndex));
            Assert.Equal(firstWithName, nameIndex);
        }
    }

    [Theory]
    [InlineData(":method", "PUT", 0, 2)]
    [InlineData(":status", "418", 0, 8)]
    [InlineData("x-unknown", "", 0, 0)]
    [InlineData("", "", 0, 0)]
    [InlineData("a-name-longer-than-any-static-table-name", "", 0, 0)]
    public void Find_NoExactMatch_NameIndexOrZero(string name, string value, int expected, int expectedName)
    {
        Assert.Equal(expected, HpackStaticTable.Find(Latin1(name), Latin1(value), out int nameIndex));
        Assert.Equal(expectedName, nameIndex);
    }
}
