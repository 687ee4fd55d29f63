import { PageHeader } from '../components/page-header';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '../components/ui/tabs';
import { ListsPanel } from '../features/screening/lists-panel';
import { SearchPanel } from '../features/screening/search-panel';
import { PlanGate } from '../features/subscription/plan-gate';

export function ScreeningPage() {
  return (
    <>
      <PageHeader
        title="Screening"
        description='Sanctions and watch lists: upload them, search names against them, and screen counterparties in rules with the "screen" operator.'
      />
      <PlanGate feature="screening">
        <Tabs defaultValue="lists">
          <TabsList>
            <TabsTrigger value="lists">Lists</TabsTrigger>
            <TabsTrigger value="search">Search</TabsTrigger>
          </TabsList>
          <TabsContent value="lists">
            <ListsPanel />
          </TabsContent>
          <TabsContent value="search">
            <SearchPanel />
          </TabsContent>
        </Tabs>
      </PlanGate>
    </>
  );
}
